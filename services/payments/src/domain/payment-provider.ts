import type { FailureReason } from '../data/schema.ts';

/**
 * The port through which payments reach a card processor, in our vocabulary only. An adapter
 * (src/provider/) translates a concrete provider's API; nothing past it knows the provider's
 * names, statuses or codes. Expected outcomes are values, never exceptions.
 */
export interface PaymentProvider {
  /** Charges once per `idempotencyKey`: calling again with it answers the first outcome. */
  charge(request: ChargeRequest): Promise<ChargeOutcome>;
  /** The charge made under `idempotencyKey`, if the provider made one that succeeded. */
  findCharge(idempotencyKey: string): Promise<LookupOutcome>;
  /** Refunds a charge in full, once per `idempotencyKey`. */
  refund(request: RefundRequest): Promise<RefundOutcome>;
  /** A cheap call that lets an open circuit try the provider again (half-open probe). */
  probe(): Promise<boolean>;
  /** closed: calls go through; open: they fail fast; half-open: one probe is allowed. */
  circuitState(): 'closed' | 'open' | 'half-open';
  close(): Promise<void>;
}

export interface ChargeRequest {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  paymentMethod: string;
  /** Shown to operators at the provider, e.g. the order id. */
  description: string;
}

export type ChargeOutcome =
  | { kind: 'charged'; reference: string }
  | { kind: 'declined'; reason: Exclude<FailureReason, 'payment_unavailable'> }
  /** Down, timing out, circuit open, or refusing us: no verdict on the card. */
  | { kind: 'unavailable'; detail: string };

export interface RefundRequest {
  idempotencyKey: string;
  chargeReference: string;
  reason: string;
}

export type RefundOutcome =
  | { kind: 'refunded'; reference: string | null }
  /** The provider has no refundable charge under that reference: nothing to give back. */
  | { kind: 'not_refundable'; detail: string }
  | { kind: 'unavailable'; detail: string };

export type LookupOutcome =
  | { kind: 'charged'; reference: string }
  /** Nothing was charged under the key (no charge, or a declined one). */
  | { kind: 'none' }
  | { kind: 'unavailable'; detail: string };
