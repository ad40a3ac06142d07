import type { Selectable } from 'kysely';
import type { StoredEvent } from './event-store.ts';
import { readStream } from './event-store.ts';
import type { Executor, OrderDetailTable, OrderListTable } from './schema.ts';

/**
 * Who reads: a customer sees their own orders; a tenant admin also those of every customer of
 * the tenant. Built from the verified token only.
 */
export interface Reader {
  tenantId: string;
  userId: string;
  tenantAdmin: boolean;
}

export interface PagePosition {
  createdAt: Date;
  id: string;
}

/**
 * The read side, scoped once here: every query starts from the reader's tenant (and, for a
 * customer, their own orders), so another tenant's or customer's order is simply not found.
 */
export function readerOrders(db: Executor, reader: Reader) {
  const visibleDetail = () => {
    let query = db.selectFrom('order_detail').selectAll().where('tenant_id', '=', reader.tenantId);
    if (!reader.tenantAdmin) query = query.where('customer_id', '=', reader.userId);
    return query;
  };

  return {
    async detail(orderId: string): Promise<Selectable<OrderDetailTable> | undefined> {
      return visibleDetail().where('order_id', '=', orderId).executeTakeFirst();
    },

    /** The reader's own orders (also for an admin: a list of "my orders"), newest first. */
    async page(
      count: number,
      status: string | undefined,
      after: PagePosition | undefined,
    ): Promise<Selectable<OrderListTable>[]> {
      let query = db
        .selectFrom('order_list')
        .selectAll()
        .where('tenant_id', '=', reader.tenantId)
        .where('customer_id', '=', reader.userId);
      if (status) query = query.where('status', '=', status as 'pending');
      if (after) {
        query = query.where((eb) =>
          eb(eb.refTuple('created_at', 'order_id'), '<', eb.tuple(after.createdAt, after.id)),
        );
      }
      return query.orderBy('created_at', 'desc').orderBy('order_id', 'desc').limit(count).execute();
    },

    /** The event history of a visible order; undefined when the order is not visible. */
    async history(orderId: string): Promise<StoredEvent[] | undefined> {
      if (!(await visibleDetail().where('order_id', '=', orderId).executeTakeFirst())) {
        return undefined;
      }
      return readStream(db, orderId);
    },
  };
}

/** Across tenants, for the payment-timeout sweep: pending orders placed before `before`. */
export async function pendingOrdersBefore(
  db: Executor,
  before: Date,
  limit: number,
): Promise<string[]> {
  const rows = await db
    .selectFrom('order_list')
    .select('order_id')
    .where('status', '=', 'pending')
    .where('created_at', '<', before)
    .orderBy('created_at')
    .limit(limit)
    .execute();
  return rows.map((row) => row.order_id);
}
