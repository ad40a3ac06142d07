import type { Identity } from '@lattice/platform';
import { readerOrders } from '../data/order-reads.ts';
import { OrdersErrors } from '../errors.ts';
import type { OrdersDeps } from './deps.ts';
import { cancelByCustomer, OrderAlreadyCancelled } from './order.ts';
import { executeOrderCommand } from './order-store.ts';
import { type OrderView, orderViewOf, toOrderView } from './order-view.ts';
import { orderNotFound, readerOf } from './read-orders.ts';

/**
 * The customer cancels their order: a pending one is cancelled; a confirmed one is cancelled
 * and its payment's refund requested (payments refunds it and reports back); a cancelled one
 * is a 409. A tenant admin sees the order but may not cancel it for the customer (403).
 */
export async function cancelOrder(
  deps: OrdersDeps,
  caller: Identity,
  id: string,
  options: { traceparent?: string } = {},
): Promise<OrderView> {
  const result = await deps.database.transaction(async (trx) => {
    const orders = readerOrders(trx, readerOf(caller));
    const visible = await orders.detail(id);
    if (!visible) throw orderNotFound();
    if (visible.customer_id !== caller.userId) {
      throw OrdersErrors.notYours('Only the customer who placed it may cancel this order');
    }
    const { order, appended } = await executeOrderCommand(deps, trx, {
      orderId: id,
      metadata: { actor: caller.userId, traceparent: options.traceparent },
      decide: (order) => {
        if (!order) throw orderNotFound();
        try {
          return cancelByCustomer(order, deps.now());
        } catch (error) {
          if (error instanceof OrderAlreadyCancelled) {
            throw OrdersErrors.alreadyCancelled(
              `The order was already cancelled (${order.cancellationReason})`,
            );
          }
          throw error;
        }
      },
    });
    return { view: order ? orderViewOf(order) : toOrderView(visible), appended };
  });
  deps.metrics.count(result.appended);
  return result.view;
}
