import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import { migrate } from '../../src/db/migrations.ts';
import { batchingInbox } from '../../src/outbox/inbox-batch.ts';
import { outboxMigrations } from '../../src/outbox/migrations.ts';
import { createTestDatabase, type DatabaseKind, needs } from '../../src/testing/index.ts';

for (const kind of ['pglite', 'postgres'] as DatabaseKind[]) {
  test(`a batch applies each fresh event once, skips duplicates, and isolates a failing one (${kind})`, {
    skip: kind === 'postgres' && needs('postgres'),
  }, async (t) => {
    const { database, cleanup } = await createTestDatabase(`inbox_batch_${kind}`, kind);
    t.after(cleanup);
    await migrate(database, [
      ...outboxMigrations,
      { name: '001_effects.sql', sql: 'CREATE TABLE effects (event_id text PRIMARY KEY);' },
    ]);
    const applied: string[] = [];
    const apply = batchingInbox(
      database,
      'tests_batch',
      async (event: { id: string; fail?: boolean }, trx) => {
        if (event.fail) throw new Error('this one fails');
        await sql`INSERT INTO effects (event_id) VALUES (${event.id})`.execute(trx);
        applied.push(event.id);
      },
    );

    const events = Array.from({ length: 10 }, () => ({ id: randomUUID() }));
    const failing = { id: randomUUID(), fail: true };
    const outcomes = await Promise.allSettled([
      ...events.map((e) => apply(e)),
      apply(events[0]!), // the same event twice in one batch
      apply(failing),
    ]);
    const values = outcomes.map((o) => (o.status === 'fulfilled' ? o.value : 'rejected'));
    assert.deepEqual(values.slice(0, 10), Array(10).fill(true));
    assert.equal(values[10], false, 'the duplicate in the batch changed nothing');
    assert.equal(
      values[11],
      'rejected',
      'only the failing event is refused, for the broker to retry',
    );

    const again = await Promise.all(events.map((e) => apply(e)));
    assert.deepEqual(again, Array(10).fill(false), 'redeliveries are recognised');
    const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM effects`.execute(
      database.db,
    );
    assert.equal(rows.rows[0]?.n, 10);
    const inbox = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM inbox WHERE consumer = 'tests_batch'`.execute(database.db);
    assert.equal(inbox.rows[0]?.n, 10, 'the failed event left no inbox record');
  });
}

test('effectMany applies the fresh events of a batch in one call, and a failing batch falls back to one by one', async (t) => {
  const { database, cleanup } = await createTestDatabase('inbox_batch_many', 'pglite');
  t.after(cleanup);
  await migrate(database, [
    ...outboxMigrations,
    { name: '001_effects.sql', sql: 'CREATE TABLE effects (event_id text PRIMARY KEY);' },
  ]);
  type Item = { id: string; fail?: boolean };
  const insertOne = async (
    event: Item,
    trx: Parameters<Parameters<typeof database.transaction>[0]>[0],
  ) => {
    if (event.fail) throw new Error('this one fails');
    await sql`INSERT INTO effects (event_id) VALUES (${event.id})`.execute(trx);
  };
  const calls: number[] = [];
  const committed: string[] = [];
  const apply = batchingInbox(database, 'tests_many', insertOne, {
    afterCommit: (items: Item[]) => committed.push(...items.map((e) => e.id)),
    effectMany: async (items: Item[], trx) => {
      calls.push(items.length);
      if (items.some((e) => e.fail)) throw new Error('a batch with a failing event');
      const ids = items.map((e) => e.id);
      await sql`INSERT INTO effects (event_id) SELECT unnest(${ids}::text[])`.execute(trx);
    },
  });

  const events: Item[] = Array.from({ length: 20 }, () => ({ id: randomUUID() }));
  const first = await Promise.all([...events.map((e) => apply(e)), apply(events[3]!)]);
  assert.deepEqual(first.slice(0, 20), Array(20).fill(true));
  assert.equal(first[20], false, 'the duplicate within the batch is not handed to effectMany');
  assert.deepEqual(calls, [20], 'one call for the batch, with each fresh event once');
  assert.deepEqual(
    committed,
    events.map((e) => e.id),
    'afterCommit is told of each fresh event once, the duplicate left out',
  );

  const failing: Item = { id: randomUUID(), fail: true };
  const more: Item[] = [{ id: randomUUID() }, { id: randomUUID() }];
  const outcomes = await Promise.allSettled([...more.map((e) => apply(e)), apply(failing)]);
  assert.deepEqual(
    outcomes.map((o) => o.status),
    ['fulfilled', 'fulfilled', 'rejected'],
    'after the batch failed, the good events were applied one by one',
  );
  const rows = await sql<{ n: number }>`SELECT count(*)::int AS n FROM effects`.execute(
    database.db,
  );
  assert.equal(rows.rows[0]?.n, 22);
  assert.deepEqual(
    committed.slice(20),
    more.map((e) => e.id),
    'one by one, afterCommit is told of each event applied and not of the one that failed',
  );
});

test('each batch runs in the context of its own first event, not of the delivery that started the drain', async (t) => {
  const { database, cleanup } = await createTestDatabase('inbox_batch_context', 'pglite');
  t.after(cleanup);
  await migrate(database, outboxMigrations);
  const { AsyncLocalStorage } = await import('node:async_hooks');
  const current = new AsyncLocalStorage<string>();
  type Item = { id: string; tag: string };
  const seen: Array<{ first: string; ran: string | undefined }> = [];
  const apply = batchingInbox(database, 'tests_context', async () => {}, {
    maxBatch: 2,
    effectMany: async (items: Item[]) => {
      seen.push({ first: items[0]!.tag, ran: current.getStore() });
    },
    inContextOf: (event, work) => current.run(event.tag, work),
  });

  // All deliveries are handed over from inside the first one's context: without inContextOf
  // every batch would run as "a".
  const items: Item[] = ['a', 'b', 'c', 'd', 'e'].map((tag) => ({ id: randomUUID(), tag }));
  await current.run('a', () => Promise.all(items.map((item) => apply(item))));

  assert.deepEqual(
    seen.map((s) => s.ran),
    seen.map((s) => s.first),
  );
  assert.deepEqual(
    seen.map((s) => s.first),
    ['a', 'c', 'e'],
  );
});
