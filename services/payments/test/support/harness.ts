import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import {
  type CloudEvent,
  createService,
  type Database,
  EmbeddedBus,
  openPGliteDatabase,
  PGliteHost,
  type ServiceInstance,
  StaticDiscovery,
} from '@lattice/platform';
import {
  createTestDatabase,
  type DatabaseKind,
  needs,
  type TestTokenIssuer,
  testTokenIssuer,
  watchBus,
} from '@lattice/platform/testing';
// The card processor is outside the system under test: the sandbox plays it, for real, on a port.
import { service as sandboxService } from '../../../payment-sandbox/src/app.ts';
import { paymentsService } from '../../src/app.ts';
import type { PaymentsConfigProperties } from '../../src/config.ts';
import type { PaymentsDb } from '../../src/data/schema.ts';
import type { Faults } from '../../src/domain/deps.ts';

export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

export const PROVIDER_KEY = 'sk_test_payments_harness';

/** The sandbox processor, listening on a free port, with a few calls tests make of it. */
export interface Processor {
  url: string;
  request(
    method: 'GET' | 'POST',
    path: string,
    payload?: object,
  ): Promise<{ status: number; body: unknown }>;
  /** Charges the processor made under an idempotency key (succeeded or declined). */
  chargesWithKey(key: string): Promise<Array<{ id: string; status: string; refunded: boolean }>>;
  /** Simulated outage: `lost_responses` makes charges but answers 503 (see the sandbox README). */
  outage(enabled: boolean, mode?: 'unavailable' | 'lost_responses'): Promise<void>;
  /** How many transient failures pm_card_flaky gave for `key` (from the processor's own books). */
  transientFailures(key: string): Promise<number>;
}

export type PaymentsService = ServiceInstance<PaymentsConfigProperties> & { bus: EmbeddedBus };

export interface Fixture {
  payments: PaymentsService;
  processor: Processor;
  issuer: TestTokenIssuer;
  /** Faults the tests switch on and off (see src/domain/deps.ts). */
  faults: Faults;
  /** Every payments.payment.* event that reached the bus. */
  published: CloudEvent[];
}

/**
 * The processor's and the payments service's databases: on PGlite one host with a schema
 * each, as the embedded runtime does (a PGlite costs seconds to start); on PostgreSQL a fresh
 * database each, as in distributed mode.
 */
async function databasesFor(kind: DatabaseKind) {
  if (kind === 'pglite') {
    const host = await PGliteHost.open();
    const sandboxDb = await openPGliteDatabase(host, 'payment-sandbox');
    const paymentsDb = await openPGliteDatabase<PaymentsDb>(host, 'payments');
    return {
      sandboxDb,
      paymentsDb,
      close: async () => {
        await sandboxDb.close();
        await paymentsDb.close();
        await host.close();
      },
    };
  }
  const sandbox = await createTestDatabase('payment-sandbox', kind);
  const payments = await createTestDatabase('payments', kind);
  return {
    sandboxDb: sandbox.database,
    paymentsDb: payments.database as Database<PaymentsDb>,
    close: async () => {
      await sandbox.cleanup();
      await payments.cleanup();
    },
  };
}

/**
 * Per describe block: a real sandbox processor on a port (PGlite), a JWKS for tokens, and the
 * payments service on `kind` with its own embedded bus, pointed at the processor by URL.
 * Provider timings are shortened so retries, the circuit and leases play out in seconds.
 */
export function paymentsFixture(
  kind: DatabaseKind,
  env: Record<string, string> = {},
): () => Fixture {
  const cleanups: Array<() => unknown> = [];
  let fixture: Fixture | undefined;
  before(async () => {
    const { sandboxDb, paymentsDb, close } = await databasesFor(kind);
    cleanups.push(close);
    const sandbox = await createService(sandboxService, {
      database: sandboxDb,
      env: { LOG_LEVEL: process.env.LOG_LEVEL || 'silent', PAYMENT_SANDBOX_API_KEY: PROVIDER_KEY },
    });
    cleanups.push(() => sandbox.close());
    await sandbox.listen(0);
    const address = sandbox.app.server.address() as { port: number };
    const url = `http://127.0.0.1:${address.port}`;
    const issuer = await testTokenIssuer();
    cleanups.push(() => issuer.close());
    const bus = new EmbeddedBus();
    cleanups.push(() => bus.close());
    const faults: Faults = {};
    // The processor is found by discovery on PGlite and by PAYMENTS_PROVIDER_URL on
    // PostgreSQL: both ways are exercised.
    const viaDiscovery = kind === 'pglite';
    const built = await createService(paymentsService({ faults }), {
      database: paymentsDb,
      embeddedBus: bus,
      ...(viaDiscovery ? { discovery: new StaticDiscovery({ 'payment-sandbox': url }) } : {}),
      env: {
        LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
        AUTH_JWKS_URL: issuer.jwksUrl,
        ...(viaDiscovery ? {} : { PAYMENTS_PROVIDER_URL: url }),
        PAYMENTS_PROVIDER_API_KEY: PROVIDER_KEY,
        PAYMENTS_PROVIDER_BACKOFF_MS: '10',
        PAYMENTS_PROVIDER_BACKOFF_MAX_MS: '40',
        PAYMENTS_BREAKER_HALF_OPEN_MS: '400',
        PAYMENTS_LEASE_MS: '1500',
        PAYMENTS_POLL_INTERVAL_MS: '50',
        PAYMENTS_RECONCILE_AFTER_MS: '300',
        PAYMENTS_REFUND_RETRY_MAX_MS: '200',
        ...env,
      },
    });
    cleanups.push(() => built.close());
    const payments = Object.assign(built, { bus });
    const watcher = await watchBus(bus, ['payments.payment.*.v1']);
    cleanups.push(() => watcher.stop());

    const request: Processor['request'] = async (method, path, payload) => {
      const response = await sandbox.app.inject({
        method,
        url: path,
        headers: { authorization: `Bearer ${PROVIDER_KEY}` },
        ...(payload ? { payload } : {}),
      });
      return { status: response.statusCode, body: response.json() };
    };
    const processor: Processor = {
      url,
      request,
      async chargesWithKey(key) {
        const { body } = await request(
          'GET',
          `/v1/charges?limit=100&idempotency_key=${encodeURIComponent(key)}`,
        );
        return (body as { data: Array<{ id: string; status: string; refunded: boolean }> }).data;
      },
      async outage(enabled, mode) {
        await request('POST', '/v1/sandbox/outage', { enabled, ...(mode ? { mode } : {}) });
      },
      async transientFailures(key) {
        const row = await sandbox.context.db.db
          .selectFrom('transient_failures')
          .select('failures')
          .where('idempotency_key', '=', key)
          .executeTakeFirst();
        return row?.failures ?? 0;
      },
    };
    fixture = { payments, processor, issuer, faults, published: watcher.seen };
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!fixture) throw new Error('the payments fixture is not built yet');
    return fixture;
  };
}

export function database(svc: PaymentsService): Database<PaymentsDb> {
  return svc.context.db;
}

export interface Customer {
  userId: string;
  tenantId: string;
  token: string;
}

export async function newCustomer(
  fx: Fixture,
  options: { tenantId?: string; roles?: string[] } = {},
): Promise<Customer> {
  const userId = randomUUID();
  const tenantId = options.tenantId ?? randomUUID();
  const token = await fx.issuer.sign({ userId, tenantId, roles: options.roles ?? ['member'] });
  return { userId, tenantId, token };
}

/** `orders.order.placed.v1` as the orders service records it. */
export function orderPlaced(
  customer: Pick<Customer, 'userId' | 'tenantId'>,
  options: { paymentMethod?: string; totalCents?: number; orderId?: string; eventId?: string } = {},
): CloudEvent {
  const orderId = options.orderId ?? randomUUID();
  const totalCents = options.totalCents ?? 2598;
  return {
    specversion: '1.0',
    id: options.eventId ?? randomUUID(),
    source: '/lattice/orders',
    type: 'lattice.orders.order.placed.v1',
    time: new Date().toISOString(),
    subject: orderId,
    tenantid: customer.tenantId,
    datacontenttype: 'application/json',
    data: {
      orderId,
      tenantId: customer.tenantId,
      customerId: customer.userId,
      totalCents,
      currency: 'EUR',
      items: [{ sku: 'MUG-01', name: 'Lattice mug', quantity: 2, unitPriceCents: totalCents / 2 }],
      paymentMethod: options.paymentMethod ?? 'pm_card_ok',
    },
  };
}

/** `orders.order.refund-requested.v1` for a paid order. */
export function refundRequested(
  placed: CloudEvent,
  paymentId: string,
  reason = 'cancelled_by_customer',
): CloudEvent {
  const order = placed.data as { orderId: string; tenantId: string; customerId: string };
  return {
    ...placed,
    id: randomUUID(),
    type: 'lattice.orders.order.refund-requested.v1',
    time: new Date().toISOString(),
    data: {
      orderId: order.orderId,
      tenantId: order.tenantId,
      customerId: order.customerId,
      totalCents: (placed.data as { totalCents: number }).totalCents,
      currency: 'EUR',
      paymentId,
      reason,
    },
  };
}

/** The data of payments.payment.*.v1 events (see packages/contracts/src/events/payments.ts). */
export interface PaymentEventData {
  paymentId: string;
  orderId: string;
  tenantId: string;
  customerId: string;
  amountCents: number;
  currency: string;
  reason?: string;
}

/** Waits for the payments event of `type` about the order; its data. */
export async function outcomeOf(
  fx: Fixture,
  orderId: string,
  type: 'succeeded' | 'failed' | 'refunded',
  timeoutMs = 10_000,
): Promise<PaymentEventData> {
  const wanted = `lattice.payments.payment.${type}.v1`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = fx.published.find(
      (e) => e.type === wanted && (e.data as { orderId: string }).orderId === orderId,
    );
    if (found) return found.data as PaymentEventData;
    if (Date.now() > deadline)
      throw new Error(`no ${wanted} for order ${orderId} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function eventsAbout(fx: Fixture, orderId: string): string[] {
  return fx.published
    .filter((e) => (e.data as { orderId?: string }).orderId === orderId)
    .map((e) => e.type.replace('lattice.payments.payment.', ''));
}

export async function call(fx: Fixture, method: 'GET' | 'POST', path: string, token?: string) {
  return fx.payments.app.inject({
    method,
    url: `/api/v1/payments${path}`,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

/** A metric's value as /metrics shows it. */
export async function metric(fx: Fixture, name: string, labels = ''): Promise<number | undefined> {
  const text = await fx.payments.context.metrics.metrics();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{`) && l.includes(labels) && !l.startsWith('#'));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}
