import type { Database, ServiceEvents, ServiceTracing } from '@lattice/platform';
import type { FastifyBaseLogger } from 'fastify';
import type { PaymentRow } from '../data/payments.ts';
import type { PaymentsDb } from '../data/schema.ts';
import type { PaymentMetrics } from '../metrics.ts';
import type { LocalLeases } from './local-leases.ts';
import type { PaymentProvider } from './payment-provider.ts';

/**
 * Faults injected by tests where the real failure lies outside the process: a crash between
 * the provider's answer and our commit, say. Nothing sets them in production.
 */
export interface Faults {
  /** Runs after the provider answered a charge, before its outcome is committed. */
  afterCharge?(payment: PaymentRow): void | Promise<void>;
}

/** What the use cases need, built once in app.ts. */
export interface PaymentsDeps {
  database: Database<PaymentsDb>;
  events: ServiceEvents<PaymentsDb>;
  provider: PaymentProvider;
  metrics: PaymentMetrics;
  /** The runner's provider calls are spans in the trace of the order that asked for them. */
  tracing: ServiceTracing;
  log: FastifyBaseLogger;
  /** New payments written leased to this instance's runner, handed to it at the commit. */
  leases: LocalLeases;
  /** NOTIFY channel that wakes the runners when work is committed. */
  workChannel: string;
  leaseMs: number;
  refundRetryMaxMs: number;
  /** Wait before asking the provider whether a charge that failed as unavailable went through. */
  reconcileAfterMs: number;
  faults: Faults;
  /** Called after each provider call: the circuit's changes are logged as they happen. */
  afterProviderCall(): void;
  now(): Date;
  newId(): string;
}
