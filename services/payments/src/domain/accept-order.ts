import type { OrderPlacedV1, OrderRefundRequestedV1 } from '@lattice/contracts';
import type { Transaction } from 'kysely';
import { paymentLedger } from '../data/payments.ts';
import type { PaymentsDb } from '../data/schema.ts';
import type { PaymentsDeps } from './deps.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * An order was placed: its payment is written pending in the consumer's transaction, leased to
 * this instance's runner (handed over at the commit) or due at once (the commit wakes the
 * runners), see `acceptOrders`. A second order.placed for the same order (redelivered, or
 * replayed) finds the payment there and changes nothing.
 */
export async function acceptOrder(
  deps: PaymentsDeps,
  trx: Transaction<PaymentsDb>,
  order: OrderPlacedV1,
  traceparent: string | undefined,
  event?: object,
): Promise<void> {
  await acceptOrders(deps, trx, [{ order, traceparent, ...(event ? { event } : {}) }]);
}

/**
 * `acceptOrder` for a whole inbox batch: one INSERT for all the pending payments, instead of a
 * statement pair per order. Two events for one order (in the batch or across batches) still
 * leave one payment: the order id is unique.
 *
 * As many as this instance's runner has room for are written already leased to it and staged
 * for it under their events (`deps.leases`, handed over at the commit); only if some are left
 * for any runner to claim are the runners woken.
 */
export async function acceptOrders(
  deps: PaymentsDeps,
  trx: Transaction<PaymentsDb>,
  placed: ReadonlyArray<{
    order: OrderPlacedV1;
    traceparent: string | undefined;
    /** The delivery's event object, under which a leased payment is staged. */
    event?: object;
  }>,
): Promise<void> {
  const now = deps.now();
  const leaseUntil = new Date(now.getTime() + deps.leaseMs);
  let room = deps.leases.room();
  const ledger = paymentLedger(trx);
  const leasedOrders = new Map<string, object>();
  for (const { event } of placed) if (event !== undefined) deps.leases.unstage(event);
  const inserted = await ledger.insertPendingMany(
    placed.map(({ order, traceparent, event }) => {
      const lease = event !== undefined && room > 0 && !leasedOrders.has(order.orderId);
      if (lease) {
        room -= 1;
        leasedOrders.set(order.orderId, event);
      }
      return pendingPayment(deps, order, traceparent, now, lease ? leaseUntil : undefined);
    }),
  );
  let due = 0;
  for (const payment of inserted) {
    const event = leasedOrders.get(payment.order_id);
    if (event !== undefined) deps.leases.stage(event, payment);
    else due += 1;
  }
  // Left due because this instance's runner has no room for them: any instance may take them.
  if (due > 0) await ledger.wakeEveryRunner(deps.workChannel);
}

/** Pending and due now, or (`leaseUntil`) already claimed by this instance's runner. */
function pendingPayment(
  deps: PaymentsDeps,
  order: OrderPlacedV1,
  traceparent: string | undefined,
  now: Date,
  leaseUntil: Date | undefined,
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
    next_action_at: leaseUntil ?? now,
    // A lease taken at once counts as the claim's attempt.
    attempts: leaseUntil === undefined ? 0 : 1,
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
