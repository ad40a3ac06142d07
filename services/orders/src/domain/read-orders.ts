import { decodeKeysetCursor, encodeKeysetCursor, type Identity, ROLES } from '@lattice/platform';
import { type Reader, readerOrders } from '../data/order-reads.ts';
import { OrdersErrors } from '../errors.ts';
import type { OrdersDeps } from './deps.ts';
import type { OrderStatus } from './order.ts';
import { type OrderSummary, type OrderView, toOrderSummary, toOrderView } from './order-view.ts';

/** A tenant admin reads every order of the tenant; anyone else only their own. */
export function readerOf(caller: Identity): Reader {
  return {
    tenantId: caller.tenantId,
    userId: caller.userId,
    tenantAdmin: caller.roles.includes(ROLES.admin),
  };
}

export async function getOrder(deps: OrdersDeps, caller: Identity, id: string): Promise<OrderView> {
  const row = await readerOrders(deps.database.db, readerOf(caller)).detail(id);
  if (!row) throw orderNotFound();
  return toOrderView(row);
}

export interface OrderPage {
  items: OrderSummary[];
  /** Null on the last page. */
  nextCursor: string | null;
}

export interface ListRequest {
  status?: OrderStatus;
  limit: number;
  cursor?: string;
}

/** The caller's own orders, newest first; the cursor is the previous page's last position. */
export async function listOrders(
  deps: OrdersDeps,
  caller: Identity,
  request: ListRequest,
): Promise<OrderPage> {
  const after =
    request.cursor === undefined
      ? undefined
      : decodeKeysetCursor(request.cursor, OrdersErrors.invalidCursor);
  // One row more than asked tells whether another page exists without a count query.
  const rows = await readerOrders(deps.database.db, readerOf(caller)).page(
    request.limit + 1,
    request.status,
    after,
  );
  const items = rows.slice(0, request.limit);
  const last = items.at(-1);
  return {
    items: items.map(toOrderSummary),
    nextCursor:
      rows.length > request.limit && last
        ? encodeKeysetCursor({ createdAt: last.created_at, id: last.order_id })
        : null,
  };
}

export interface HistoryItem {
  version: number;
  type: string;
  data: Record<string, unknown>;
  recordedAt: string;
}

/** The order's domain events, oldest first: what happened, as the event store keeps it. */
export async function orderHistory(
  deps: OrdersDeps,
  caller: Identity,
  id: string,
): Promise<{ items: HistoryItem[] }> {
  const events = await readerOrders(deps.database.db, readerOf(caller)).history(id);
  if (!events) throw orderNotFound();
  return {
    items: events.map((stored) => ({
      version: stored.version,
      type: stored.event.type,
      data: stored.event.data as Record<string, unknown>,
      recordedAt: stored.recordedAt.toISOString(),
    })),
  };
}

export function orderNotFound() {
  return OrdersErrors.notFound('No such order among those you may see');
}
