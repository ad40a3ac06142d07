import { ledger, type RefundRow } from '../data/ledger.ts';
import { SandboxErrors } from '../errors.ts';
import { newId, parametersHash, type SandboxDeps } from './deps.ts';
import { type RefundView, refundView } from './views.ts';

export interface RefundRequest {
  charge: string;
  reason?: string;
}

/**
 * Refunds a succeeded charge in full, once. The same Idempotency-Key replays the first refund;
 * a second refund of a charge under another key is refused (400 charge_already_refunded), so
 * money never goes back twice.
 */
export async function createRefund(
  deps: SandboxDeps,
  request: RefundRequest,
  key: string | undefined,
): Promise<{ refund: RefundView; replayed: boolean }> {
  deps.outage.beforeProcessing();
  const hash = parametersHash({ charge: request.charge, reason: request.reason });
  const answer = await deps.database.transaction(async (trx) => {
    const books = ledger(trx);
    const replay = (earlier: RefundRow) => {
      if (earlier.request_hash !== hash) throw SandboxErrors.idempotencyKeyReused();
      return { refund: refundView(earlier), replayed: true };
    };
    // The charge row is locked first: two refunds of one charge take turns.
    const charge = await books.charge(request.charge, true);
    if (key !== undefined) {
      const earlier = await books.refundByKey(key);
      if (earlier) return replay(earlier);
    }
    if (!charge) throw SandboxErrors.chargeNotFound(request.charge);
    if (charge.status !== 'succeeded') throw SandboxErrors.notRefundable(charge.id);
    if (await books.refundOfCharge(charge.id)) throw SandboxErrors.alreadyRefunded(charge.id);

    const refund = await books.insertRefund({
      id: newId('re'),
      idempotency_key: key ?? null,
      request_hash: hash,
      charge_id: charge.id,
      amount: charge.amount,
      currency: charge.currency,
      reason: request.reason ?? null,
      status: 'succeeded',
    });
    if (!refund) throw SandboxErrors.alreadyRefunded(charge.id);
    await books.markRefunded(charge.id, charge.amount);
    return { refund: refundView(refund), replayed: false };
  });
  deps.outage.afterProcessing();
  return answer;
}
