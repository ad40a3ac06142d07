import type { OrderPlacedV1, OrderRefundRequestedV1 } from '@lattice/contracts';
import type { Transaction } from 'kysely';
import { paymentLedger } from '../data/payments.ts';
import type { PaymentsDb } from '../data/schema.ts';
import type { PaymentsDeps } from './deps.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An order was placed: its payment is written, pending and due at once, in the consumer's
 * transaction; the runner charges it after the commit wakes it. A second order.placed for the
 * same order (redelivered, or replayed) finds the payment there and changes nothing.
 */
export async function acceptOrder(
  deps: PaymentsDeps,
  trx: Transaction<PaymentsDb>,
  order: OrderPlacedV1,
  traceparent: string | undefined,
): Promise<void> {
  await acceptOrders(deps, trx, [{ order, traceparent }]);
}

/**
 * `acceptOrder` for a whole inbox batch: one INSERT for all the pending payments and one
 * wake-up, instead of a statement pair per order. Two events for one order (in the batch or
 * across batches) still leave one payment: the order id is unique.
 */
export async function acceptOrders(
  deps: PaymentsDeps,
  trx: Transaction<PaymentsDb>,
  placed: ReadonlyArray<{ order: OrderPlacedV1; traceparent: string | undefined }>,
): Promise<void> {
  const now = deps.now();
  const ledger = paymentLedger(trx);
  const inserted = await ledger.insertPendingMany(
    placed.map(({ order, traceparent }) => pendingPayment(deps, order, traceparent, now)),
  );
  if (inserted > 0) await ledger.wakeRunners(deps.workChannel);
}

function pendingPayment(
  deps: PaymentsDeps,
  order: OrderPlacedV1,
  traceparent: string | undefined,
  now: Date,
) {
  return {
    id: deps.newId(),
    tenant_id: order.tenantId,
    order_id: order.orderId,
    customer_id: order.customerId,
    amount_cents: order.totalCents,
    currency: order.currency.toUpperCase(),
    payment_method: order.paymentMethod,
    status: 'pending',
    failure_reason: null,
    charge_reference: null,
    refund_reference: null,
    refund_reason: null,
    next_action_at: now,
    traceparent: traceparent ?? null,
    created_at: now,
    updated_at: now,
  } as const;
}

/**
 * Compensation asked by orders: the payment is marked for refund and the runner refunds it.
 * A payment still being charged is refunded once the charge succeeds; a failed or refunded
 * one has nothing to give back. An unknown payment is logged and skipped (retrying could
 * never make it known).
 */
export async function requestRefund(
  deps: PaymentsDeps,
  trx: Transaction<PaymentsDb>,
  request: OrderRefundRequestedV1,
): Promise<void> {
  const ledger = paymentLedger(trx);
  const payment = UUID.test(request.paymentId)
    ? await ledger.lockInTenant(request.tenantId, request.paymentId)
    : undefined;
  if (!payment || payment.order_id !== request.orderId) {
    deps.log.warn(
      { paymentId: request.paymentId, orderId: request.orderId, tenantId: request.tenantId },
      'refund requested for a payment this service does not know; skipped',
    );
    return;
  }
  if (payment.refund_reason !== null || payment.status === 'refunded') return;
  if (payment.status === 'failed') {
    deps.log.info(
      { paymentId: payment.id },
      'refund requested for a failed payment: nothing to give back',
    );
    return;
  }
  await ledger.update(payment.id, {
    refund_reason: request.reason,
    attempts: 0,
    // A pending payment keeps its charge's schedule; the charge's outcome makes the refund due.
    ...(payment.status === 'succeeded' ? { next_action_at: deps.now() } : {}),
  });
  await ledger.wakeRunners(deps.workChannel);
}
