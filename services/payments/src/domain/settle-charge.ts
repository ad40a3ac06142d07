import { sql } from 'kysely';
import { type PaymentChanges, type PaymentRow, paymentLedger } from '../data/payments.ts';
import { paymentFailed, paymentSucceeded } from '../events/payment-events.ts';
import type { PaymentsDeps } from './deps.ts';
import type { ChargeOutcome } from './payment-provider.ts';

/** The provider's idempotency key for an order's charge: one order, one charge, ever. */
export function chargeKey(payment: Pick<PaymentRow, 'order_id'>): string {
  return `order:${payment.order_id}`;
}

/**
 * Charges a pending payment and records the outcome with its event in one statement.
 * The payment row was committed (pending) before this runs; if the process dies after the
 * provider charged and before the commit, the payment is still pending, is claimed again when
 * its lease ends, and the charge repeats with the same key: the provider answers the first
 * charge instead of making a second one.
 */
export async function chargePayment(deps: PaymentsDeps, payment: PaymentRow): Promise<boolean> {
  const outcome: ChargeOutcome =
    payment.amount_cents === 0
      ? { kind: 'charged', reference: '' }
      : await deps.provider.charge({
          idempotencyKey: chargeKey(payment),
          amountCents: payment.amount_cents,
          currency: payment.currency,
          paymentMethod: payment.payment_method,
          description: `order ${payment.order_id}`,
        });
  deps.afterProviderCall();
  await deps.faults.afterCharge?.(payment);

  const now = deps.now();
  const changes: PaymentChanges =
    outcome.kind === 'charged'
      ? {
          status: 'succeeded',
          charge_reference: outcome.reference || null,
          attempts: 0,
          next_action_at: null,
          updated_at: now,
        }
      : settledAsFailed(deps, outcome, now);
  // The event is built from what the update writes (the rest of the row never changes), so the
  // update and its event are one statement: no transaction, one round trip.
  const settledRow = { ...payment, ...changes } as PaymentRow;
  const settled = await deps.events.recordWithChange(
    deps.database.db,
    paymentLedger(deps.database.db).transitionQuery(payment.id, 'pending', {
      ...changes,
      // A refund asked for while the charge was under way is due right away: the update reads
      // the row it locks, so no refund request slips in between.
      ...(outcome.kind === 'charged'
        ? {
            next_action_at: sql<Date | null>`CASE WHEN refund_reason IS NULL THEN NULL ELSE ${now}::timestamptz END`,
          }
        : {}),
    }),
    outcome.kind === 'charged'
      ? paymentSucceeded(deps.events, settledRow)
      : paymentFailed(deps.events, settledRow),
  );
  // Undefined: another runner settled it first (its lease had ended), with the same charge.
  if (!settled) return false;
  const label = settled.status === 'succeeded' ? 'succeeded' : (settled.failure_reason as string);
  deps.metrics.outcomes.inc({ outcome: label });
  if (outcome.kind === 'unavailable') {
    deps.log.warn(
      { paymentId: payment.id, orderId: payment.order_id, detail: outcome.detail },
      'payment failed: the provider is unavailable',
    );
  }
  // A refund asked for while the charge was under way is due now.
  return settled.next_action_at !== null && settled.next_action_at <= now;
}

function settledAsFailed(
  deps: PaymentsDeps,
  outcome: Exclude<ChargeOutcome, { kind: 'charged' }>,
  now: Date,
): PaymentChanges {
  const reason = outcome.kind === 'declined' ? outcome.reason : 'payment_unavailable';
  return {
    status: 'failed',
    failure_reason: reason,
    attempts: 0,
    // Unavailable is no verdict: the provider may have charged and lost its answer. It is
    // asked again later, and a charge it made is refunded (see reconcile-payment.ts).
    next_action_at:
      reason === 'payment_unavailable' ? new Date(now.getTime() + deps.reconcileAfterMs) : null,
    updated_at: now,
  };
}
