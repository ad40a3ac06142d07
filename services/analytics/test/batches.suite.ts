// The consumer's batch path, driven through the kit's batching inbox as the bus drives it
// (deliveries handed over together share one transaction), next to the per-event path the
// inbox falls back to: both must leave the same rows.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { batchingInbox, type CloudEvent, type Database } from '@lattice/platform';
import { sql } from 'kysely';
import { Counter, Registry } from 'prom-client';
import type { AnalyticsDb } from '../src/data/schema.ts';
import { readModelConsumer } from '../src/events/read-model-consumer.ts';
import {
  type Order,
  orderCancelled,
  orderConfirmed,
  orderPlaced,
  paymentRefunded,
  paymentSucceeded,
  registered,
  todoCompleted,
  todoCreated,
} from './support/events.ts';
import { type AnalyticsService, database } from './support/harness.ts';
import { scenario } from './support/scenario.ts';
import { readModelRows } from './support/snapshot.ts';

const CONSUMER = 'analytics_read-models';

/**
 * The read-model consumer as the kit runs it, on a database that counts transactions and the
 * statements run in them, with the sizes of the `handleBatch` calls. `batched: false` gives the
 * kit's path for a consumer without `handleBatch` (the handler, one event at a time).
 */
function consumer(svc: AnalyticsService, batched = true) {
  const real = database(svc);
  const seen = { transactions: 0, statements: 0, batches: [] as number[] };
  const counting = {
    transformQuery: ({ node }: { node: unknown }) => {
      seen.statements++;
      return node;
    },
    transformResult: async ({ result }: { result: unknown }) => result,
  };
  const counted: Database<AnalyticsDb> = {
    ...real,
    transaction: (work) => {
      seen.transactions++;
      return real.transaction((trx) => work(trx.withPlugin(counting as never)));
    },
  };
  const applied = new Counter({
    name: 'batch_test_applied',
    help: 'events applied',
    labelNames: ['type'],
    registers: [new Registry()],
  });
  const spec = readModelConsumer(applied);
  const apply = batchingInbox<AnalyticsDb, CloudEvent>(
    counted,
    CONSUMER,
    spec.handler,
    batched
      ? {
          effectMany: (events, trx) => {
            seen.batches.push(events.length);
            return spec.handleBatch!(events, trx);
          },
        }
      : {},
  );
  const appliedByType = async () =>
    Object.fromEntries((await applied.get()).values.map((v) => [v.labels.type, v.value]));
  return { apply, seen, appliedByType };
}

/** Handed over together, as the bus hands over deliveries in flight: one inbox batch. */
const together = (apply: (event: CloudEvent) => Promise<boolean>, list: CloudEvent[]) =>
  Promise.allSettled(list.map((event) => apply(event)));

/** One after another: each event its own batch, its own transaction. */
async function oneByOne(apply: (event: CloudEvent) => Promise<boolean>, list: CloudEvent[]) {
  for (const event of list) await apply(event);
}

/** `list` for another tenant, with fresh event ids (`ids` maps each new id to its original). */
function forTenant(list: CloudEvent[], from: string, to: string) {
  const ids = new Map<string, string>();
  const events = list.map((event) => {
    const copy = JSON.parse(JSON.stringify(event).replaceAll(from, to)) as CloudEvent;
    copy.id = randomUUID();
    ids.set(copy.id, event.id);
    return copy;
  });
  return { events, ids };
}

/** A tenant's read-model rows and event log, with the tenant id (and event ids) of another. */
async function rowsOf(
  svc: AnalyticsService,
  tenantId: string,
  as = tenantId,
  ids?: Map<string, string>,
) {
  const db = database(svc);
  const { rows: log } = await sql<Record<string, unknown>>`SELECT event_id, type, tenant_id,
      event_time, event FROM event_log WHERE tenant_id = ${tenantId} ORDER BY seq`.execute(db.db);
  let text = JSON.stringify({ ...(await readModelRows(db, [tenantId])), log }).replaceAll(
    tenantId,
    as,
  );
  for (const [id, original] of ids ?? []) text = text.replaceAll(id, original);
  return JSON.parse(text);
}

async function inboxHas(svc: AnalyticsService, eventId: string) {
  const { rows } =
    await sql`SELECT 1 FROM inbox WHERE consumer = ${CONSUMER} AND event_id = ${eventId}`.execute(
      database(svc).db,
    );
  return rows.length > 0;
}

/** Many events on the same rows: one tenant, one hour, one customer, one currency. */
function sameKeys(tenantId: string): CloudEvent[] {
  const customerId = randomUUID();
  const at = (minute: number) => new Date(Date.UTC(2026, 5, 3, 9, minute));
  const events: CloudEvent[] = [registered(tenantId, customerId, at(1))];
  for (let i = 0; i < 6; i++) {
    const order: Order = {
      orderId: randomUUID(),
      tenantId,
      customerId,
      totalCents: 1_000 + i * 250,
      currency: 'EUR',
    };
    const paymentId = randomUUID();
    events.push(
      orderPlaced(order, at(2 + i)),
      paymentSucceeded(order, paymentId, at(3 + i)),
      orderConfirmed(order, paymentId, at(4 + i)),
    );
    if (i % 2 === 0) {
      events.push(
        orderCancelled(order, 'cancelled_by_customer', at(10 + i)),
        paymentRefunded(order, paymentId, at(11 + i)),
      );
    }
    const todoId = randomUUID();
    events.push(todoCreated(tenantId, customerId, todoId, at(20 + i)));
    events.push(todoCompleted(tenantId, customerId, todoId, at(30 + i)));
  }
  return events;
}

export function batchBehaviours(svc: () => AnalyticsService): void {
  describe('inbox batches', () => {
    test('a batch of many events on the same rows leaves the rows of applying them one by one, in one statement', async () => {
      const single = randomUUID();
      const batched = randomUUID();
      const original = sameKeys(single);
      const copy = forTenant(original, single, batched);

      const slow = consumer(svc(), false);
      await oneByOne(slow.apply, original);
      assert.equal(slow.seen.transactions, original.length);

      const fast = consumer(svc());
      const results = await together(fast.apply, copy.events);
      assert.ok(results.every((r) => r.status === 'fulfilled' && r.value === true));
      assert.deepEqual(fast.seen.batches, [copy.events.length]);
      // The inbox's INSERT and the projection's one statement, for the whole batch.
      assert.deepEqual(fast.seen, {
        transactions: 1,
        statements: 2,
        batches: [copy.events.length],
      });

      const expected = await rowsOf(svc(), single);
      assert.equal(expected.hourly_counts.length, 1, 'every event is in one hour');
      assert.equal(expected.hourly_counts[0].orders_confirmed, 6);
      assert.equal(expected.hourly_money[0].revenue_cents, 6 * 1_000 + 250 * 15);
      assert.equal(expected.log.length, original.length);
      assert.deepEqual(await rowsOf(svc(), batched, single, copy.ids), expected);
      assert.deepEqual(await fast.appliedByType(), await slow.appliedByType());
    });

    test('a scripted day applied in batches equals it applied one by one', async () => {
      const single = randomUUID();
      const batched = randomUUID();
      const size = {
        registrations: 6,
        orders: 12,
        declined: 3,
        refunded: 2,
        todos: 8,
        completed: 5,
      };
      const { events } = scenario(single, new Date('2026-06-10T00:00:00Z'), size);
      const copy = forTenant(events, single, batched);
      await oneByOne(consumer(svc(), false).apply, events);
      const fast = consumer(svc());
      for (let i = 0; i < copy.events.length; i += 17) {
        await together(fast.apply, copy.events.slice(i, i + 17));
      }
      assert.equal(fast.seen.batches.length, Math.ceil(copy.events.length / 17));
      assert.deepEqual(await rowsOf(svc(), batched, single, copy.ids), await rowsOf(svc(), single));
    });

    test('an event twice in a batch, or already applied, is applied once', async () => {
      const tenantId = randomUUID();
      const at = new Date('2026-06-11T08:30:00Z');
      const order: Order = {
        orderId: randomUUID(),
        tenantId,
        customerId: randomUUID(),
        totalCents: 3_300,
        currency: 'EUR',
      };
      const earlier = orderPlaced(order, at);
      const confirmed = orderConfirmed(order, 'p1', at);
      const { apply, seen } = consumer(svc());
      assert.equal(await apply(earlier), true);
      const results = await together(apply, [confirmed, earlier, confirmed, confirmed]);
      assert.deepEqual(
        results.map((r) => (r.status === 'fulfilled' ? r.value : r.reason)),
        [true, false, false, false],
      );
      assert.deepEqual(seen.batches, [1, 1], 'only the fresh event reaches handleBatch');
      const rows = await rowsOf(svc(), tenantId);
      assert.equal(rows.hourly_counts[0].orders_placed, 1);
      assert.equal(rows.hourly_counts[0].orders_confirmed, 1);
      assert.equal(rows.hourly_money[0].revenue_cents, 3_300);
      assert.equal(rows.log.length, 2);
    });

    test('a batch that fails is applied event by event: only the failing event is refused', async () => {
      const tenantId = randomUUID();
      const userA = randomUUID();
      const userB = randomUUID();
      const at = new Date('2026-06-12T15:00:00Z');
      const broken = { ...registered(tenantId, randomUUID(), at), time: 'not a time' };
      const good = [registered(tenantId, userA, at), registered(tenantId, userB, at)];
      const { apply, seen } = consumer(svc());
      const results = await together(apply, [good[0], broken, good[1]] as CloudEvent[]);
      assert.deepEqual(
        results.map((r) => r.status),
        ['fulfilled', 'rejected', 'fulfilled'],
      );
      assert.deepEqual(seen.batches, [3], 'the batch was tried whole first');
      // The failed batch's transaction, then one per event.
      assert.equal(seen.transactions, 4);
      const rows = await rowsOf(svc(), tenantId);
      assert.equal(rows.hourly_counts[0].signups, 2);
      assert.deepEqual(
        rows.hourly_active_users.map((r: { user_id: string }) => r.user_id).sort(),
        [userA, userB].sort(),
      );
      assert.equal(await inboxHas(svc(), good[0]!.id), true);
      assert.equal(await inboxHas(svc(), broken.id), false, 'the broker retries it later');
    });
  });
}
