import { type PaymentRow, paymentLedger } from '../data/payments.ts';
import type { PaymentsDeps } from './deps.ts';

/**
 * Work the provider could not take now (a refund, a reconciliation) is due again after a
 * backoff that doubles with each attempt up to `refundRetryMaxMs`: it is never dropped.
 */
export async function retryLater(
  deps: PaymentsDeps,
  payment: PaymentRow,
  what: 'refund' | 'reconciliation',
  detail: string,
): Promise<void> {
  const waitMs = Math.min(deps.refundRetryMaxMs, 500 * 2 ** Math.min(payment.attempts, 20));
  await paymentLedger(deps.database.db).update(payment.id, {
    next_action_at: new Date(deps.now().getTime() + waitMs),
  });
  deps.log.warn(
    { paymentId: payment.id, detail, retryInMs: waitMs },
    `${what} postponed: the provider is unavailable`,
  );
}
