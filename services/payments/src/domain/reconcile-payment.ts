import { type PaymentRow, paymentLedger } from '../data/payments.ts';
import { paymentRefunded } from '../events/payment-events.ts';
import type { PaymentsDeps } from './deps.ts';
import { retryLater } from './retry-later.ts';
import { chargeKey } from './settle-charge.ts';
import { refundKey } from './settle-refund.ts';

/**
 * A payment failed as payment_unavailable: the provider gave no answer, which is not a "no".
 * Once it surely finished whatever it was doing (`reconcileAfterMs` later), it is asked for a
 * charge under the order's key. None: the failure stands. One: the customer paid for an order
 * that was cancelled, so the charge is refunded and the payment becomes refunded (keeping its
 * failure reason), announced by payment.refunded. So every charge ends confirmed or refunded.
 */
export async function reconcilePayment(deps: PaymentsDeps, payment: PaymentRow): Promise<void> {
  const found = await deps.provider.findCharge(chargeKey(payment));
  deps.afterProviderCall();
  if (found.kind === 'unavailable') {
    await retryLater(deps, payment, 'reconciliation', found.detail);
    return;
  }
  if (found.kind === 'none') {
    await paymentLedger(deps.database.db).update(payment.id, { next_action_at: null });
    return;
  }

  const refund = await deps.provider.refund({
    idempotencyKey: refundKey(payment),
    chargeReference: found.reference,
    reason: 'payment_unavailable',
  });
  deps.afterProviderCall();
  if (refund.kind === 'unavailable') {
    await retryLater(deps, payment, 'reconciliation', refund.detail);
    return;
  }
  if (refund.kind === 'not_refundable') {
    await paymentLedger(deps.database.db).update(payment.id, { next_action_at: null });
    deps.log.error(
      { paymentId: payment.id, orderId: payment.order_id, detail: refund.detail },
      'a charge made after the payment failed cannot be refunded; an operator must look',
    );
    return;
  }
  const now = deps.now();
  const refunded = await deps.database.transaction(async (trx) => {
    const row = await paymentLedger(trx).transition(payment.id, 'failed', {
      status: 'refunded',
      charge_reference: found.reference,
      refund_reference: refund.reference,
      refund_reason: 'payment_unavailable',
      attempts: 0,
      next_action_at: null,
      updated_at: now,
    });
    if (row) await deps.events.record(trx, paymentRefunded(deps.events, row));
    return row;
  });
  if (refunded) {
    deps.metrics.outcomes.inc({ outcome: 'refunded' });
    deps.log.warn(
      { paymentId: payment.id, orderId: payment.order_id },
      'the provider had charged a payment that failed as unavailable: refunded',
    );
  }
}
