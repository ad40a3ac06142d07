import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import type { CloudEvent } from '../../src/bus/event-bus.ts';
import type { Database } from '../../src/db/database.ts';
import { enqueue, enqueueWithChange, outboxChannel } from '../../src/outbox/enqueue.ts';
import { databaseKinds, notifies, notifiesBefore, uniqueService } from '../support.ts';
import { makeEvent, outboxDatabase, RecordingBus, waitFor } from './support.ts';

async function rows(database: Database) {
  const result = await sql<{
    id: string;
    sent_at: Date | null;
  }>`SELECT id, sent_at FROM outbox ORDER BY seq`.execute(database.db);
  return result.rows;
}

async function write(database: Database, events: CloudEvent | CloudEvent[]): Promise<void> {
  await database.transaction((trx) => enqueue(trx, events));
}

for (const { kind, skip } of databaseKinds) {
  describe(`outbox relay on ${kind}`, { skip }, () => {
    test('an event enqueued in a committed transaction is published, then marked sent', async (t) => {
      const { database, makeRelay } = await outboxDatabase(t, kind, uniqueService('outbox_commit'));
      const bus = new RecordingBus();
      const event = makeEvent('order-1', { total: 42 });
      await database.transaction(async (trx) => {
        await sql`SELECT 1`.execute(trx); // the service's own state change would be here
        await enqueue(trx, event);
      });
      const relay = makeRelay({ database, bus });
      await relay.start();
      await waitFor('the event to be published', () => bus.stored.length === 1);
      assert.deepEqual(bus.stored[0], event, 'the whole CloudEvent travels unchanged');
      await waitFor(
        'the row to be marked sent',
        async () => (await rows(database))[0]?.sent_at != null,
      );
      assert.deepEqual(await relay.lag(), { unsent: 0, oldestUnsentAgeMs: 0 });
    });

    test('an event enqueued in a rolled-back transaction is never published', async (t) => {
      const { database, makeRelay } = await outboxDatabase(
        t,
        kind,
        uniqueService('outbox_rollback'),
      );
      const bus = new RecordingBus();
      const lost = makeEvent('order-1');
      await assert.rejects(
        database.transaction(async (trx) => {
          await enqueue(trx, lost);
          throw new Error('the state change failed');
        }),
        /the state change failed/,
      );
      const kept = makeEvent('order-2');
      await write(database, kept);
      const relay = makeRelay({ database, bus });
      await relay.start();
      await waitFor('the committed event', () => bus.stored.length === 1);
      // Several more rounds: the rolled-back event must not surface late.
      await delay(100);
      assert.deepEqual(bus.ids(), [kept.id]);
      assert.deepEqual(
        (await rows(database)).map((row) => row.id),
        [kept.id],
      );
    });

    test('a failed publish leaves the batch unsent; a later round publishes it, in order', async (t) => {
      const { database, makeRelay } = await outboxDatabase(t, kind, uniqueService('outbox_retry'));
      const bus = new RecordingBus();
      bus.failures = 3;
      const events = Array.from({ length: 5 }, (_, i) => makeEvent('order-1', { step: i }));
      for (const event of events) await write(database, event);
      const failures: number[] = [];
      const relay = makeRelay({
        database,
        bus,
        batchSize: 2,
        observer: { failed: (_error, consecutive) => failures.push(consecutive) },
      });
      // Nothing may be marked sent while the broker refuses.
      await assert.rejects(relay.publishBatch(), /broker unavailable/);
      assert.equal((await relay.lag()).unsent, 5);
      await relay.start();
      await waitFor('every event', () => bus.stored.length === 5);
      assert.deepEqual(failures, [1, 2], 'the loop backed off and retried');
      assert.deepEqual(
        bus.ids(),
        events.map((event) => event.id),
      );
      await waitFor('all rows sent', async () => (await relay.lag()).unsent === 0);
    });

    test('a broker that never acknowledges: the round fails at the publish timeout, the batch stays unsent', async (t) => {
      const { database, makeRelay } = await outboxDatabase(t, kind, uniqueService('outbox_hang'));
      const bus = new RecordingBus();
      bus.onPublish = () => new Promise<void>(() => {});
      await write(database, makeEvent('order-1'));
      const relay = makeRelay({ database, bus, publishTimeoutMs: 50 });
      await assert.rejects(
        relay.publishBatch(),
        /broker did not acknowledge the batch within 50 ms/,
      );
      assert.equal((await relay.lag()).unsent, 1);
    });

    test('a relay that dies between the broker ack and the commit republishes after restart', async (t) => {
      const { database, makeRelay } = await outboxDatabase(t, kind, uniqueService('outbox_crash'));
      const bus = new RecordingBus();
      const first = makeEvent('order-1', { n: 1 });
      const second = makeEvent('order-1', { n: 2 });
      await write(database, [first, second]);
      let died = false;
      const dying = makeRelay({
        bus,
        backoff: { initialMs: 1_000 },
        observer: {
          beforeCommit: () => {
            died = true;
            throw new Error('killed before commit');
          },
        },
      });
      await dying.start();
      await waitFor('the dying relay to reach the broker', () => died);
      await dying.stop();
      assert.deepEqual(bus.ids(), [first.id, second.id], 'the broker stored the batch');
      assert.equal((await makeRelay({ bus }).lag()).unsent, 2, 'but it is still unsent');

      const restarted = makeRelay({ database, bus });
      await restarted.start();
      await waitFor('the republished batch', () => bus.stored.length === 4);
      assert.deepEqual(bus.ids(), [first.id, second.id, first.id, second.id]);
      assert.deepEqual(
        bus.deduplicated().map((event) => event.id),
        [first.id, second.id],
        'same ids: the broker drops the duplicates',
      );
      await waitFor('rows sent', async () => (await restarted.lag()).unsent === 0);
    });

    test('stop() lets the batch in flight finish: published and marked, not cut in half', async (t) => {
      const { database, makeRelay } = await outboxDatabase(t, kind, uniqueService('outbox_stop'));
      const bus = new RecordingBus();
      bus.maxDelayMs = 1;
      let release: () => void = () => {};
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      let inFlight = false;
      const relay = makeRelay({
        bus,
        observer: {
          beforeCommit: async () => {
            inFlight = true;
            await gate;
          },
        },
      });
      await write(database, makeEvent('order-1'));
      await relay.start();
      await waitFor('the batch to be in flight', () => inFlight);
      const stopping = relay.stop();
      release();
      await stopping;
      assert.equal(bus.stored.length, 1);
      assert.equal((await relay.lag()).unsent, 0);
      // Stopped means stopped: a new event waits for the next start.
      await write(database, makeEvent('order-2'));
      await delay(60);
      assert.equal(bus.stored.length, 1);
    });

    test('a NOTIFY wakes the relay at once, long before its poll interval', async (t) => {
      const { database, listen, makeRelay } = await outboxDatabase(
        t,
        kind,
        uniqueService('outbox_notify'),
      );
      const bus = new RecordingBus();
      const relay = makeRelay({ database, bus, listen, pollIntervalMs: 60_000 });
      await relay.start();
      // Let the first round find the outbox empty and go to sleep.
      await delay(100);
      for (const n of [1, 2, 3]) {
        const started = Date.now();
        await write(database, makeEvent('order-1', { n }));
        await waitFor(`event ${n}`, () => bus.stored.length === n, 3_000);
        const elapsed = Date.now() - started;
        assert.ok(elapsed < 1_000, `published ${elapsed} ms after commit`);
        await delay(20);
      }
    });

    test("a write of the relay's own process wakes it at commit, without a NOTIFY", async (t) => {
      const { database, makeRelay } = await outboxDatabase(t, kind, uniqueService('outbox_local'));
      const channel = outboxChannel(database.schema);
      const notified = await notifies(t, kind, database, channel);
      const bus = new RecordingBus();
      // The port's listen: this process's commits, and NOTIFY from elsewhere.
      const relay = makeRelay({ database, bus, listen: database.listen, pollIntervalMs: 60_000 });
      await relay.start();
      await delay(100);
      for (const n of [1, 2, 3]) {
        await write(database, makeEvent('order-1', { n }));
        await waitFor(`event ${n}`, () => bus.stored.length === n, 3_000);
      }
      await enqueueWithChange(
        database.db,
        database.db.selectNoFrom((eb) => eb.lit(1).as('one')),
        makeEvent('order-1', { n: 4 }),
      );
      await waitFor('event 4', () => bus.stored.length === 4, 3_000);
      assert.equal(await notifiesBefore(database, channel, notified), 0, 'no NOTIFY was sent');
    });

    test('a write larger than one INSERT (1000 rows) is stored whole, in order, and still wakes the relay', async (t) => {
      const { database, listen, makeRelay } = await outboxDatabase(
        t,
        kind,
        uniqueService('outbox_many'),
      );
      const bus = new RecordingBus();
      const relay = makeRelay({ database, bus, listen, pollIntervalMs: 60_000 });
      await relay.start();
      await delay(100);
      const events = Array.from({ length: 2500 }, (_, n) => makeEvent('bulk', { n }));
      await write(database, events);
      await waitFor('all 2500 published', () => bus.stored.length === 2500, 20_000);
      assert.deepEqual(
        bus.stored.map((event) => (event.data as { n: number }).n),
        events.map((_, n) => n),
      );
    });

    test('a change and its events in one statement: recorded only when the change returned a row', async (t) => {
      const { database, listen, makeRelay } = await outboxDatabase(
        t,
        kind,
        uniqueService('outbox_change'),
      );
      await sql`CREATE TABLE accounts (id text PRIMARY KEY, balance integer NOT NULL)`.execute(
        database.db,
      );
      await sql`INSERT INTO accounts VALUES ('a', 10)`.execute(database.db);
      const db = database.db.withTables<{ accounts: { id: string; balance: number } }>();
      const debit = (id: string, amount: number) =>
        db
          .updateTable('accounts')
          .set((eb) => ({ balance: eb('balance', '-', amount) }))
          .where('id', '=', id)
          .where('balance', '>=', amount)
          .returningAll();
      const bus = new RecordingBus();
      const relay = makeRelay({ database, bus, listen, pollIntervalMs: 60_000 });
      await relay.start();
      await delay(100);

      const debited = makeEvent('a', { debited: 4 });
      const row = await enqueueWithChange(database.db, debit('a', 4), debited);
      assert.deepEqual(row, { id: 'a', balance: 6 }, "the change's row, without the wake-up");
      // The NOTIFY rode on the statement: published without waiting for the poll.
      await waitFor('the event', () => bus.stored.length === 1, 3_000);
      assert.deepEqual(bus.stored[0], debited);

      // Nothing changed (not enough left, or no such row): no event recorded.
      assert.equal(await enqueueWithChange(database.db, debit('a', 7), makeEvent('a')), undefined);
      assert.equal(await enqueueWithChange(database.db, debit('b', 1), makeEvent('b')), undefined);
      // Inside a transaction that rolls back, the change and its event go together.
      await assert.rejects(
        database.transaction(async (trx) => {
          await enqueueWithChange(trx, debit('a', 1), makeEvent('a', { debited: 1 }));
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      assert.deepEqual(
        (await rows(database)).map((r) => r.id),
        [debited.id],
      );
      assert.equal(
        (await db.selectFrom('accounts').select('balance').executeTakeFirst())?.balance,
        6,
      );
    });

    test('writes sent along with the outbox insert commit or roll back with it', async (t) => {
      const { database } = await outboxDatabase(t, kind, uniqueService('outbox_along'));
      await sql`CREATE TABLE notes (id text PRIMARY KEY)`.execute(database.db);
      const db = database.db.withTables<{ notes: { id: string } }>();
      const note = (id: string) => db.insertInto('notes').values({ id });
      const kept = makeEvent('note', { id: 'kept' });
      await database.transaction((trx) => enqueue(trx, kept, [note('kept'), note('also kept')]));
      await assert.rejects(
        database.transaction(async (trx) => {
          await enqueue(trx, makeEvent('note', { id: 'lost' }), [note('lost')]);
          throw new Error('rolled back');
        }),
        /rolled back/,
      );
      // No events: the writes still run.
      await database.transaction((trx) => enqueue(trx, [], [note('alone')]));
      const ids = await db.selectFrom('notes').select('id').orderBy('id').execute();
      assert.deepEqual(
        ids.map((row) => row.id),
        ['alone', 'also kept', 'kept'],
      );
      assert.deepEqual(
        (await rows(database)).map((row) => row.id),
        [kept.id],
      );
    });

    test('lag() counts unsent events and the age of the oldest', async (t) => {
      const { database, makeRelay } = await outboxDatabase(t, kind, uniqueService('outbox_lag'));
      const relay = makeRelay({ bus: new RecordingBus() });
      assert.deepEqual(await relay.lag(), { unsent: 0, oldestUnsentAgeMs: 0 });
      await write(database, [makeEvent('a'), makeEvent('b')]);
      await delay(30);
      const lag = await relay.lag();
      assert.equal(lag.unsent, 2);
      assert.ok(lag.oldestUnsentAgeMs >= 20, `age ${lag.oldestUnsentAgeMs}`);
    });

    test('sent rows are deleted once older than the retention, unsent rows never', async (t) => {
      const { database, makeRelay } = await outboxDatabase(
        t,
        kind,
        uniqueService('outbox_cleanup'),
      );
      const bus = new RecordingBus();
      const cleaned: number[] = [];
      await write(database, [makeEvent('a'), makeEvent('b')]);
      const relay = makeRelay({
        database,
        bus,
        retentionMs: 200,
        cleanupIntervalMs: 20,
        observer: { cleaned: (n) => cleaned.push(n) },
      });
      await relay.start();
      await waitFor('both published', () => bus.stored.length === 2);
      assert.equal((await rows(database)).length, 2, 'kept during retention');
      await waitFor('sent rows deleted', async () => (await rows(database)).length === 0, 3_000);
      assert.deepEqual(cleaned, [2]);
      // An unsent row is never a cleanup candidate, however old.
      await relay.stop();
      await write(database, makeEvent('c'));
      await sql`UPDATE outbox SET created_at = now() - interval '2 days'`.execute(database.db);
      assert.equal(await relay.cleanup(), 0);
      assert.equal((await rows(database)).length, 1);
    });

    test('enqueue refuses an event whose id is not a UUID, failing the writer', async (t) => {
      const { database } = await outboxDatabase(t, kind, uniqueService('outbox_invalid'));
      await assert.rejects(
        write(database, { ...makeEvent('a'), id: 'not-a-uuid' }),
        /must be a UUID/,
      );
      assert.equal((await rows(database)).length, 0);
    });
  });
}
