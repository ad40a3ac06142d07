import type { OrderPlacedV1, OrderRefundRequestedV1 } from '@lattice/contracts';
import type { ConsumerSpec } from '@lattice/platform';
import type { PaymentsDb } from '../data/schema.ts';
import { acceptOrder, acceptOrders, requestRefund } from '../domain/accept-order.ts';
import type { PaymentsDeps } from '../domain/deps.ts';

export const ORDER_PLACED = 'lattice.orders.order.placed.v1';
export const REFUND_REQUESTED = 'lattice.orders.order.refund-requested.v1';

/**
 * Consumer group `payments_order-placed`. The kit checks each message against its contract
 * (a malformed one is dead-lettered) and records its id in the inbox in the handler's
 * transaction (a duplicate is skipped); the payment's unique order id guards the rest.
 */
export function orderPlacedConsumer(deps: PaymentsDeps): ConsumerSpec<OrderPlacedV1, PaymentsDb> {
  return {
    name: 'order-placed',
    types: [ORDER_PLACED],
    handler: (event, trx) => acceptOrder(deps, trx, event.data, event.traceparent, event),
    // A burst of orders becomes one INSERT per inbox batch (the kit falls back to `handler`,
    // event by event, if the batch fails).
    handleBatch: (events, trx) =>
      acceptOrders(
        deps,
        trx,
        events.map((event) => ({ order: event.data, traceparent: event.traceparent, event })),
      ),
    // Committed: the payments leased to this instance go to its runner.
    afterCommit: (events) => deps.leases.committed(events),
  };
}

/** Consumer group `payments_refund-requested`. */
export function refundRequestedConsumer(
  deps: PaymentsDeps,
): ConsumerSpec<OrderRefundRequestedV1, PaymentsDb> {
  return {
    name: 'refund-requested',
    types: [REFUND_REQUESTED],
    handler: (event, trx) => requestRefund(deps, trx, event.data),
  };
}
