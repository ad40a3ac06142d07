// PostgreSQL only: several connections are what make relays race. PGlite has one connection,
// so its transactions, and hence its relays, never overlap.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import pg from 'pg';
import type { CloudEvent } from '../../src/bus/event-bus.ts';
import type { Database } from '../../src/db/database.ts';
import { enqueue } from '../../src/outbox/enqueue.ts';
import { needs, testPostgresUrl } from '../../src/testing/index.ts';
import { uniqueService } from '../support.ts';
import { makeEvent, outboxDatabase, RecordingBus, waitFor } from './support.ts';

describe('outbox relays on postgres', { skip: needs('postgres') }, () => {
  test('two relays draining together keep each aggregate in enqueue order', async (t) => {
    const { database, listen, replica, makeRelay } = await outboxDatabase(
      t,
      'postgres',
      uniqueService('outbox_two_relays'),
    );
    const second = await replica();
    const bus = new RecordingBus();
    // Acks take a while, so a relay that published without the leader lock would interleave.
    bus.maxDelayMs = 10;
    const sentBy = { first: 0, second: 0 };
    const relays = [
      makeRelay({
        bus,
        listen,
        batchSize: 7,
        observer: { sent: (events) => (sentBy.first += events.length) },
      }),
      makeRelay({
        database: second,
        bus,
        listen,
        batchSize: 7,
        observer: { sent: (events) => (sentBy.second += events.length) },
      }),
    ];
    const aggregates = ['order-a', 'order-b', 'order-c', 'order-d', 'order-e', 'order-f'];
    const written = new Map<string, string[]>(aggregates.map((a) => [a, []]));
    // Each aggregate's writes are sequential (as a service serialises them on the aggregate's
    // row); the aggregates write concurrently, through both instances.
    const writeRounds = (from: number, to: number) =>
      Promise.all(
        aggregates.map(async (aggregate, index) => {
          for (let round = from; round < to; round++) {
            const events = Array.from({ length: 1 + ((round + index) % 3) }, () =>
              makeEvent(aggregate, { round }),
            );
            const writer: Database = (round + index) % 2 === 0 ? database : second;
            await writer.transaction((trx) => enqueue(trx, events));
            written.get(aggregate)!.push(...events.map((event) => event.id));
          }
        }),
      );
    // A backlog first, so both relays start on full batches at once (where a relay taking the
    // rows after the other's locked ones would overtake it), then more writes while they drain.
    await writeRounds(0, 10);
    await Promise.all(relays.map((relay) => relay.start()));
    await writeRounds(10, 20);
    const total = [...written.values()].reduce((sum, ids) => sum + ids.length, 0);
    await waitFor('every event', () => bus.stored.length >= total, 20_000);
    await Promise.all(relays.map((relay) => relay.stop()));

    assert.equal(bus.stored.length, total, 'no failure, so no duplicate');
    for (const aggregate of aggregates) {
      const published = bus.stored
        .filter((event: CloudEvent) => event.subject === aggregate)
        .map((event) => event.id);
      assert.deepEqual(published, written.get(aggregate), `order of ${aggregate}`);
    }
    assert.equal((await relays[0]!.lag()).unsent, 0);
    t.diagnostic(`published by the first relay: ${sentBy.first}, the second: ${sentBy.second}`);
  });

  test('a relay whose connection dies after the broker ack publishes the batch again', async (t) => {
    const service = uniqueService('outbox_killed');
    const { database, makeRelay } = await outboxDatabase(t, 'postgres', service);
    const bus = new RecordingBus();
    const admin = new pg.Client({ connectionString: testPostgresUrl() });
    await admin.connect();
    t.after(() => admin.end());
    const { rows } = await sql<{
      name: string;
    }>`SELECT current_database() AS name`.execute(database.db);
    let killed = 0;
    bus.onPublish = async () => {
      if (killed > 0) return;
      // The broker has the batch; now the relay's session dies before it can mark it sent,
      // as when its process is killed: the server rolls its transaction back.
      const result = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
         WHERE datname = $1 AND state LIKE 'idle in transaction%'`,
        [rows[0]!.name],
      );
      killed = result.rowCount ?? 0;
    };
    const event = makeEvent('order-1');
    await database.transaction((trx) => enqueue(trx, event));
    const relay = makeRelay({ bus });
    await relay.start();
    await waitFor('the batch to be published again', () => bus.stored.length === 2, 10_000);
    assert.equal(killed, 1, 'the relay connection was terminated');
    assert.deepEqual(bus.ids(), [event.id, event.id], 'same id: deduplicated by the broker');
    await waitFor('the row marked sent', async () => (await relay.lag()).unsent === 0);
  });

  test('a relay woken while another instance leads looks again soon, not at its next poll', async (t) => {
    const { database, makeRelay } = await outboxDatabase(
      t,
      'postgres',
      uniqueService('outbox_other_leader'),
    );
    const bus = new RecordingBus();
    const relay = makeRelay({ bus, listen: database.listen, pollIntervalMs: 60_000 });
    await relay.start();
    // Another instance's relay in the middle of a batch: it holds the leader lock.
    const url = new URL(testPostgresUrl());
    url.pathname = `/${(database as Database & { databaseName?: string }).databaseName}`;
    const leader = new pg.Client({ connectionString: url.toString() });
    await leader.connect();
    // The test's database is dropped (its connections ended) before this client's own end.
    leader.on('error', () => {});
    t.after(() => leader.end().catch(() => {}));
    await leader.query('BEGIN');
    await leader.query('SELECT pg_advisory_xact_lock(hashtext($1))', [
      `lattice.outbox.${database.schema}`,
    ]);
    await database.transaction((trx) => enqueue(trx, makeEvent('order-1')));
    await delay(200);
    assert.equal(bus.stored.length, 0, 'not published while the other instance leads');
    // Its batch ends without this row (it read before the commit): this relay must take it.
    await leader.query('COMMIT');
    await waitFor('the event, well before the 60 s poll', () => bus.stored.length === 1, 5_000);
  });
});
