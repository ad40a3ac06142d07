import { decodeKeysetCursor, encodeKeysetCursor, type Identity } from '@lattice/platform';
import { paymentLedger, type Viewer, viewerPayments } from '../data/payments.ts';
import { PaymentsErrors } from '../errors.ts';
import type { PaymentsDeps } from './deps.ts';
import { type Payment, toPayment } from './payment-view.ts';
import { refundPayment } from './settle-refund.ts';

/** A tenant admin sees the tenant's payments; anyone else only the payments of their orders. */
export function viewerOf(identity: Identity): Viewer {
  return {
    tenantId: identity.tenantId,
    customerId: identity.roles.includes('admin') ? undefined : identity.userId,
  };
}

export async function getPayment(deps: PaymentsDeps, viewer: Viewer, id: string): Promise<Payment> {
  const row = await viewerPayments(deps.database.db, viewer).find(id);
  if (!row) throw PaymentsErrors.notFound(`No payment ${id}`);
  return toPayment(row);
}

export async function listPayments(
  deps: PaymentsDeps,
  viewer: Viewer,
  query: { orderId?: string; limit: number; cursor?: string },
): Promise<{ items: Payment[]; nextCursor: string | null }> {
  const after = query.cursor
    ? decodeKeysetCursor(query.cursor, PaymentsErrors.invalidCursor)
    : undefined;
  const rows = await viewerPayments(deps.database.db, viewer).list(
    { orderId: query.orderId },
    query.limit + 1,
    after,
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toPayment),
    nextCursor:
      rows.length > query.limit && last
        ? encodeKeysetCursor({ createdAt: last.created_at, id: last.id })
        : null,
  };
}

/**
 * An operator's refund, done while the request waits. Refunding a refunded payment answers it
 * as it is (the same result, nothing given back twice); a pending or failed one is a 409.
 * If the provider cannot take it now, the refund stays due and is retried in the background:
 * `done` is false and the payment shows `refundPending`.
 */
export async function refundByOperator(
  deps: PaymentsDeps,
  viewer: Viewer,
  id: string,
): Promise<{ payment: Payment; done: boolean }> {
  const claimed = await deps.database.transaction(async (trx) => {
    const row = await viewerPayments(trx, viewer).lock(id);
    if (!row) throw PaymentsErrors.notFound(`No payment ${id}`);
    if (row.status === 'refunded') return undefined;
    if (row.status !== 'succeeded') {
      throw PaymentsErrors.notRefundable(
        `The payment is ${row.status}; only a succeeded one can be refunded`,
      );
    }
    // Claimed for this request (the runner leaves it alone for a lease), then done below.
    return paymentLedger(trx).update(id, {
      refund_reason: row.refund_reason ?? 'requested_by_operator',
      next_action_at: new Date(deps.now().getTime() + deps.leaseMs),
    });
  });
  if (claimed) await refundPayment(deps, claimed);
  const payment = await getPayment(deps, viewer, id);
  return { payment, done: payment.status === 'refunded' };
}
