import { sql } from 'kysely';
import type { StoredEvent } from './event-store.ts';
import { readAllEvents } from './event-store.ts';
import type { Executor } from './schema.ts';

/**
 * Applies one domain event to the read models (order_detail, order_list). Each row remembers
 * the last version applied, and every update is guarded by `version < event version`: applying
 * an event twice, or an older one after a newer, changes nothing.
 */
export async function projectEvent(db: Executor, stored: StoredEvent): Promise<void> {
  const { event, version, streamId } = stored;
  const at = new Date(event.data.at);
  if (event.type === 'OrderPlaced') {
    const d = event.data;
    const common = {
      order_id: streamId,
      tenant_id: d.tenantId,
      customer_id: d.customerId,
      status: 'pending' as const,
      total_cents: d.totalCents,
      currency: d.currency,
      created_at: at,
      updated_at: at,
      version,
    };
    await db
      .insertInto('order_detail')
      .values({
        ...common,
        items: JSON.stringify(d.items),
        payment_method: d.paymentMethod,
        payment_id: null,
        cancellation_reason: null,
        refunded_at: null,
      })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .execute();
    await db
      .insertInto('order_list')
      .values({ ...common, line_count: d.items.length })
      .onConflict((oc) => oc.column('order_id').doNothing())
      .execute();
    return;
  }

  const detail = (set: Record<string, unknown>) =>
    db
      .updateTable('order_detail')
      .set({ ...set, updated_at: at, version })
      .where('order_id', '=', streamId)
      .where('version', '<', version)
      .execute();
  const list = (set: Record<string, unknown>) =>
    db
      .updateTable('order_list')
      .set({ ...set, updated_at: at, version })
      .where('order_id', '=', streamId)
      .where('version', '<', version)
      .execute();

  switch (event.type) {
    case 'OrderConfirmed':
      await detail({ status: 'confirmed', payment_id: event.data.paymentId });
      await list({ status: 'confirmed' });
      return;
    case 'OrderCancelled':
      await detail({
        status: 'cancelled',
        cancellation_reason: event.data.reason,
        ...(event.data.paymentId ? { payment_id: event.data.paymentId } : {}),
      });
      await list({ status: 'cancelled' });
      return;
    case 'RefundRequested':
      // The order's payment stays the first one known (a late payment when there was none).
      await detail({ payment_id: sql`coalesce(payment_id, ${event.data.paymentId})` });
      await list({});
      return;
    case 'PaymentRefunded':
      await detail({ refunded_at: at });
      await list({});
      return;
  }
}

export async function projectEvents(db: Executor, events: readonly StoredEvent[]): Promise<void> {
  for (const stored of events) await projectEvent(db, stored);
}

/**
 * Empties the read models and replays every event of the store into them, in `db` (pass a
 * transaction: readers then see the old models until the new ones are complete). Resolves
 * with the number of events applied.
 */
export async function rebuildProjections(db: Executor): Promise<{ events: number }> {
  await sql`TRUNCATE order_detail, order_list`.execute(db);
  let events = 0;
  for await (const batch of readAllEvents(db)) {
    await projectEvents(db, batch);
    events += batch.length;
  }
  return { events };
}
