import { type PaymentRow, paymentLedger } from '../data/payments.ts';
import { paymentRefunded } from '../events/payment-events.ts';
import type { PaymentsDeps } from './deps.ts';
import type { RefundOutcome } from './payment-provider.ts';
import { retryLater } from './retry-later.ts';

/** The provider's idempotency key for a payment's refund: refunded once, however often asked. */
export function refundKey(payment: Pick<PaymentRow, 'id'>): string {
  return `refund:${payment.id}`;
}

/**
 * Gives a succeeded payment's money back and records `refunded` with its event in one
 * transaction. A provider that cannot take the refund now is asked again later, with
 * backoff, until it does: a refund is a compensation and must not be dropped.
 */
export async function refundPayment(deps: PaymentsDeps, payment: PaymentRow): Promise<void> {
  const outcome: RefundOutcome = payment.charge_reference
    ? await deps.provider.refund({
        idempotencyKey: refundKey(payment),
        chargeReference: payment.charge_reference,
        reason: payment.refund_reason ?? 'requested_by_operator',
      })
    : // Nothing was charged (a zero amount): nothing to give back.
      { kind: 'refunded', reference: null };
  if (payment.charge_reference) deps.afterProviderCall();

  const now = deps.now();
  if (outcome.kind === 'unavailable') {
    await retryLater(deps, payment, 'refund', outcome.detail);
    return;
  }
  if (outcome.kind === 'not_refundable') {
    // Our books say charged, the provider's say otherwise: an operator must look.
    await paymentLedger(deps.database.db).update(payment.id, { next_action_at: null });
    deps.log.error(
      { paymentId: payment.id, orderId: payment.order_id, detail: outcome.detail },
      'refund impossible: the provider has no refundable charge for this payment',
    );
    return;
  }
  const refunded = await deps.database.transaction(async (trx) => {
    const row = await paymentLedger(trx).transition(payment.id, 'succeeded', {
      status: 'refunded',
      refund_reference: outcome.reference,
      attempts: 0,
      next_action_at: null,
      updated_at: now,
    });
    if (row) await deps.events.record(trx, paymentRefunded(deps.events, row));
    return row;
  });
  if (refunded) deps.metrics.outcomes.inc({ outcome: 'refunded' });
}
