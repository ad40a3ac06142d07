import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrations.ts';
import {
  consumeOnce,
  INBOX_RETENTION_MS,
  idempotentHandler,
  pruneInbox,
} from '../../src/outbox/inbox.ts';
import { databaseKinds, uniqueService } from '../support.ts';
import { makeEvent, outboxDatabase } from './support.ts';

/** A database with the inbox and a table where each applied effect leaves a row. */
async function consumerDatabase(
  t: Parameters<typeof outboxDatabase>[0],
  kind: 'pglite' | 'postgres',
): Promise<Database> {
  const { database } = await outboxDatabase(t, kind, uniqueService('inbox'));
  // No unique key on purpose: an effect applied twice must show as two rows.
  await migrate(database, [{ name: '001_applied.sql', sql: 'CREATE TABLE applied (note text);' }]);
  return database;
}

async function applied(database: Database): Promise<string[]> {
  const result = await sql<{ note: string }>`SELECT note FROM applied ORDER BY note`.execute(
    database.db,
  );
  return result.rows.map((row) => row.note);
}

for (const { kind, skip } of databaseKinds) {
  describe(`inbox on ${kind}`, { skip }, () => {
    test('the same event consumed twice applies its effect once', async (t) => {
      const database = await consumerDatabase(t, kind);
      const event = makeEvent('order-1');
      const effect = async (trx: Parameters<Parameters<typeof consumeOnce>[3]>[0]) => {
        await sql`INSERT INTO applied (note) VALUES (${event.id})`.execute(trx);
      };
      assert.equal(await consumeOnce(database, 'billing', event.id, effect), true);
      assert.equal(await consumeOnce(database, 'billing', event.id, effect), false);
      assert.deepEqual(await applied(database), [event.id]);
      // Another consumer of the same event is a different effect.
      assert.equal(await consumeOnce(database, 'analytics', event.id, effect), true);
      assert.equal((await applied(database)).length, 2);
    });

    test('duplicates delivered concurrently apply once', async (t) => {
      const database = await consumerDatabase(t, kind);
      const event = makeEvent('order-1');
      const outcomes = await Promise.all(
        Array.from({ length: 5 }, () =>
          consumeOnce(database, 'billing', event.id, async (trx) => {
            // Held open so the duplicates overlap the first transaction.
            await delay(50);
            await sql`INSERT INTO applied (note) VALUES ('once')`.execute(trx);
          }),
        ),
      );
      assert.deepEqual(
        outcomes.filter(Boolean).length,
        1,
        `one delivery applied: ${outcomes.join(', ')}`,
      );
      assert.deepEqual(await applied(database), ['once']);
    });

    test('an effect that throws records nothing, so the redelivery applies it', async (t) => {
      const database = await consumerDatabase(t, kind);
      const event = makeEvent('order-1');
      await assert.rejects(
        consumeOnce(database, 'billing', event.id, async (trx) => {
          await sql`INSERT INTO applied (note) VALUES ('half')`.execute(trx);
          throw new Error('downstream failed');
        }),
        /downstream failed/,
      );
      assert.deepEqual(await applied(database), [], 'the partial effect rolled back');
      const recorded = await sql`SELECT 1 FROM inbox`.execute(database.db);
      assert.equal(recorded.rows.length, 0);
      assert.equal(
        await consumeOnce(database, 'billing', event.id, async (trx) => {
          await sql`INSERT INTO applied (note) VALUES ('whole')`.execute(trx);
        }),
        true,
      );
      assert.deepEqual(await applied(database), ['whole']);
    });

    test('idempotentHandler wraps a bus handler; a redelivery is acked without effect', async (t) => {
      const database = await consumerDatabase(t, kind);
      const event = makeEvent('order-1', { note: 'hello' });
      const handler = idempotentHandler<{ note: string }, unknown>(
        database,
        'notes',
        async (delivery, trx) => {
          await sql`INSERT INTO applied (note) VALUES (${delivery.event.data.note})`.execute(trx);
        },
      );
      const delivery = (attempt: number) => ({
        event: event as typeof event & { data: { note: string } },
        attempt,
        inProgress: () => {},
      });
      await handler(delivery(1));
      await handler(delivery(2));
      assert.deepEqual(await applied(database), ['hello']);
    });

    test('pruneInbox deletes ids older than the retention (7 days by default)', async (t) => {
      const database = await consumerDatabase(t, kind);
      const noop = async () => {};
      await consumeOnce(database, 'billing', 'old', noop);
      await consumeOnce(database, 'billing', 'recent', noop);
      await sql`UPDATE inbox SET processed_at = now() - interval '8 days' WHERE event_id = 'old'`.execute(
        database.db,
      );
      assert.equal(INBOX_RETENTION_MS, 7 * 24 * 3600 * 1000);
      assert.equal(await pruneInbox(database), 1);
      const left = await sql<{ event_id: string }>`SELECT event_id FROM inbox`.execute(database.db);
      assert.deepEqual(
        left.rows.map((row) => row.event_id),
        ['recent'],
      );
      assert.equal(await pruneInbox(database, 0), 1);
    });
  });
}
