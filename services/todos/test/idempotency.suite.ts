import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { openPostgresDatabase } from '@lattice/platform';
import { testPostgresUrl } from '@lattice/platform/testing';
import { sql } from 'kysely';
import { expireIdempotencyKeys } from '../src/domain/idempotency.ts';
import {
  call,
  database,
  newUser,
  outboxEventsAbout,
  type TestUser,
  type TodosService,
} from './support/harness.ts';

function create(svc: TodosService, user: TestUser, key: string, payload: object) {
  return call(svc, 'POST', '', {
    token: user.token,
    headers: { 'idempotency-key': key },
    payload,
  });
}

async function todoCount(svc: TodosService, user: TestUser): Promise<number> {
  const rows = await database(svc)
    .db.selectFrom('todos')
    .select('id')
    .where('tenant_id', '=', user.tenantId)
    .execute();
  return rows.length;
}

export function idempotencyBehaviours(svc: () => TodosService, kind: 'pglite' | 'postgres'): void {
  describe('POST /todos with an Idempotency-Key', () => {
    test('the same key and body replays the first response: same status, body, Location and ETag', async () => {
      const user = await newUser();
      const key = randomUUID();
      const first = await create(svc(), user, key, {
        title: 'Pay rent',
        dueAt: '2030-01-01T00:00:00Z',
      });
      assert.equal(first.statusCode, 201);
      assert.equal(first.headers['idempotent-replayed'], undefined);
      // The todo changes meanwhile: a replay still answers what the first request got.
      await call(svc(), 'PATCH', `/${first.json().id}`, {
        token: user.token,
        payload: { done: true },
      });

      // Same JSON, other key order and spacing: the same request.
      const again = await call(svc(), 'POST', '', {
        token: user.token,
        headers: { 'idempotency-key': key, 'content-type': 'application/json' },
        payload: '{ "dueAt": "2030-01-01T00:00:00Z",   "title": "Pay rent" }',
      });
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.json(), first.json());
      assert.equal(again.headers.location, first.headers.location);
      assert.equal(again.headers.etag, first.headers.etag);
      assert.equal(await todoCount(svc(), user), 1);
      assert.equal(
        (await outboxEventsAbout(svc(), first.json().id)).filter((e) =>
          e.type.endsWith('created.v1'),
        ).length,
        1,
      );
    });

    test('the same key with another body answers 422 and creates nothing', async () => {
      const user = await newUser();
      const key = randomUUID();
      assert.equal((await create(svc(), user, key, { title: 'One' })).statusCode, 201);
      for (const payload of [{ title: 'Two' }, { title: 'One', description: '' }]) {
        const response = await create(svc(), user, key, payload);
        assert.equal(response.statusCode, 422, JSON.stringify(payload));
        assert.equal(response.json().code, 'TODOS_IDEMPOTENCY_KEY_REUSED');
      }
      assert.equal(await todoCount(svc(), user), 1);
    });

    test('keys belong to the caller: another user with the same key gets a todo of their own', async () => {
      const alice = await newUser();
      const bob = await newUser({ tenantId: alice.tenantId });
      const key = 'order-42';
      const a = await create(svc(), alice, key, { title: 'Same' });
      const b = await create(svc(), bob, key, { title: 'Same' });
      assert.equal(b.statusCode, 201);
      assert.equal(b.headers['idempotent-replayed'], undefined);
      assert.notEqual(a.json().id, b.json().id);
    });

    test('a key older than 24 hours is new again', async () => {
      const user = await newUser();
      const key = randomUUID();
      const first = await create(svc(), user, key, { title: 'Daily' });
      await database(svc())
        .db.updateTable('idempotency_keys')
        .set({ created_at: new Date(Date.now() - 24 * 60 * 60 * 1000 - 1000) })
        .where('key', '=', key)
        .execute();
      // Even with another body: the old request is forgotten.
      const later = await create(svc(), user, key, { title: 'Daily, next day' });
      assert.equal(later.statusCode, 201);
      assert.equal(later.headers['idempotent-replayed'], undefined);
      assert.notEqual(later.json().id, first.json().id);
      const replay = await create(svc(), user, key, { title: 'Daily, next day' });
      assert.equal(replay.json().id, later.json().id);
    });

    test('concurrent retries with one key create one todo; each answer is that todo or 409', async () => {
      const user = await newUser();
      const key = randomUUID();
      const responses = await Promise.all(
        Array.from({ length: 5 }, () => create(svc(), user, key, { title: 'Once' })),
      );
      const created = responses.filter((r) => r.statusCode === 201);
      assert.ok(created.length >= 1);
      assert.equal(new Set(created.map((r) => r.json().id)).size, 1);
      for (const response of responses.filter((r) => r.statusCode !== 201)) {
        assert.equal(response.statusCode, 409);
        assert.equal(response.json().code, 'TODOS_IDEMPOTENCY_KEY_IN_FLIGHT');
      }
      assert.equal(await todoCount(svc(), user), 1);
    });

    // PGlite has one connection: a second request waits for the first to commit and gets its
    // replay. Only PostgreSQL has two requests truly in flight at once.
    test('while the first request is still in flight, the same key answers 409 with Retry-After', {
      skip: kind === 'pglite' && 'PGlite runs one transaction at a time',
    }, async () => {
      const user = await newUser();
      const key = randomUUID();
      const url = new URL(testPostgresUrl());
      url.pathname = `/${svc().testDatabase!.name}`;
      const other = await openPostgresDatabase({
        service: 'todos',
        serverUrl: testPostgresUrl(),
        databaseUrl: url.toString(),
        poolMax: 1,
        createDatabase: false,
      });
      try {
        const outcome = await other.transaction(async (trx) => {
          // Holds inserts into todos: the first request stops in the middle of its transaction.
          await sql`LOCK TABLE todos IN SHARE MODE`.execute(trx);
          const first = create(svc(), user, key, { title: 'Slow' });
          await delay(300);
          const second = create(svc(), user, key, { title: 'Slow' });
          // Whichever took the key first waits on the lock; the other is answered at once.
          const answered = await Promise.race([
            first,
            second,
            delay(5_000).then(() => assert.fail('neither request was answered while one waited')),
          ]);
          return { answered, both: Promise.all([first, second]) };
        });
        assert.equal(outcome.answered.statusCode, 409);
        assert.equal(outcome.answered.headers['retry-after'], '1');
        assert.equal(outcome.answered.json().code, 'TODOS_IDEMPOTENCY_KEY_IN_FLIGHT');
        const [first, second] = await outcome.both;
        const winner = [first, second].find((r) => r.statusCode === 201);
        assert.ok(winner, 'the first request completes once the lock is gone');
        const retry = await create(svc(), user, key, { title: 'Slow' });
        assert.equal(retry.statusCode, 201);
        assert.equal(retry.headers['idempotent-replayed'], 'true');
        assert.equal(retry.json().id, winner.json().id);
        assert.equal(await todoCount(svc(), user), 1);
      } finally {
        await other.close();
      }
    });

    test('the hourly sweep deletes the keys past 24 hours and keeps the others', async () => {
      const user = await newUser();
      const [old, fresh] = [randomUUID(), randomUUID()];
      await create(svc(), user, old, { title: 'Old' });
      await create(svc(), user, fresh, { title: 'Fresh' });
      const db = database(svc()).db;
      await db
        .updateTable('idempotency_keys')
        .set({ created_at: new Date(Date.now() - 25 * 60 * 60 * 1000) })
        .where('key', '=', old)
        .execute();
      const { context } = svc();
      const deleted = await expireIdempotencyKeys({
        database: context.db,
        events: context.events,
        cache: context.cache,
        cacheTtlMs: 60_000,
        idempotencyTtlMs: 24 * 60 * 60 * 1000,
        now: () => new Date(),
        newId: randomUUID,
      });
      assert.ok(deleted >= 1);
      const keys = await db
        .selectFrom('idempotency_keys')
        .select('key')
        .where('tenant_id', '=', user.tenantId)
        .execute();
      assert.deepEqual(
        keys.map((row) => row.key),
        [fresh],
      );
    });

    test('a failed create stores no key: the retry creates the todo', async () => {
      const user = await newUser();
      const key = randomUUID();
      const db = database(svc()).db;
      // The outbox refuses this caller's event, as a full disk or a lost connection would.
      const constraint = sql.id(`refuse_${user.tenantId.replaceAll('-', '')}`);
      await sql`ALTER TABLE outbox ADD CONSTRAINT ${constraint} CHECK (event->>'tenantid' <> ${sql.lit(user.tenantId)})`.execute(
        db,
      );
      try {
        const failed = await create(svc(), user, key, { title: 'Retry me' });
        assert.equal(failed.statusCode, 500);
        assert.doesNotMatch(failed.body, /constraint|outbox/i, '5xx never leak internals');
      } finally {
        await sql`ALTER TABLE outbox DROP CONSTRAINT ${constraint}`.execute(db);
      }
      assert.equal(await todoCount(svc(), user), 0, 'the todo rolled back with the event');
      const retry = await create(svc(), user, key, { title: 'Retry me' });
      assert.equal(retry.statusCode, 201);
      assert.equal(retry.headers['idempotent-replayed'], undefined);
    });
  });
}
