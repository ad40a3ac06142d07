import { pendingOrdersBefore } from '../data/order-reads.ts';
import type { OrdersDeps } from './deps.ts';
import { expireOrder } from './order.ts';
import { executeOrderCommand } from './order-store.ts';

/**
 * Cancels, with reason payment_timeout, every order still pending `olderThanMs` after it was
 * placed. Each order is its own transaction: one that a payment confirmed meanwhile is decided
 * again on its fresh state and left alone (and a late success for an expired order is refunded
 * by the saga). Resolves with how many orders this call cancelled.
 */
export async function expirePendingOrders(
  deps: OrdersDeps,
  options: { olderThanMs?: number; caller?: string } = {},
): Promise<{ expired: number }> {
  const olderThanMs = options.olderThanMs ?? deps.paymentTimeoutMs;
  const before = new Date(deps.now().getTime() - olderThanMs);
  // Orders the read model shows pending but whose stream decided otherwise: not asked again.
  const leftAlone = new Set<string>();
  let expired = 0;
  for (;;) {
    const ids = (
      await pendingOrdersBefore(deps.database.db, before, deps.expireBatchSize + leftAlone.size)
    ).filter((id) => !leftAlone.has(id));
    if (ids.length === 0) return { expired };
    for (const orderId of ids) {
      const { appended } = await deps.database.transaction((trx) =>
        executeOrderCommand(deps, trx, {
          orderId,
          metadata: { actor: options.caller ? `service:${options.caller}` : 'service:orders' },
          decide: (order) => (order ? expireOrder(order, deps.now()) : []),
        }),
      );
      if (appended.length > 0) expired++;
      else leftAlone.add(orderId);
      deps.metrics.count(appended);
    }
  }
}
