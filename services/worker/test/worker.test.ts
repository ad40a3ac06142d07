// The worker as it runs: real auth (service tokens, user tokens), real todos, the worker on
// real ports; orders and notifications are kit stubs on real ports until those services land.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  ADMIN_EMAIL,
  accountToken,
  deadUrl,
  type Platform,
  type StubService,
  startPlatform,
  stubService,
} from './support/platform.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('worker service', () => {
  let platform: Platform;
  let orders: StubService;
  let notifications: StubService;
  let adminToken: string;
  let memberToken: string;

  before(async () => {
    platform = await startPlatform({ WORKER_SCHEDULE_PURGE_DELETED_TODOS: '15 4 * * *' });
    orders = await stubService('orders', '/internal/orders/expire-pending', platform.discovery, {
      status: 200,
      body: { expired: 2 },
    });
    notifications = await stubService(
      'notifications',
      '/internal/notifications/due-reminders',
      platform.discovery,
      { status: 200, body: { sent: 1 } },
    );
    platform.discovery.table.set('orders', orders.url);
    platform.discovery.table.set('notifications', notifications.url);
    adminToken = await accountToken(platform.auth, ADMIN_EMAIL);
    memberToken = await accountToken(platform.auth, 'member@worker.test');
  });
  after(async () => {
    await orders?.instance.close();
    await notifications?.instance.close();
    await platform?.stop();
  });

  const api = (method: 'GET' | 'POST', path: string, token?: string) =>
    platform.worker.app.inject({
      method,
      url: `/api/v1/worker/jobs${path}`,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const runNow = async (job: string) => {
    const response = await api('POST', `/${job}/run?wait=true`, adminToken);
    assert.equal(response.statusCode, 200, response.body);
    return response.json() as { id: string; outcome: string; detail: string; trigger: string };
  };

  describe('API', () => {
    test('anonymous callers get 401, callers without platform-admin 403', async () => {
      for (const [method, path] of [
        ['GET', ''],
        ['POST', '/todo-reminders/run'],
        ['GET', '/todo-reminders/runs'],
      ] as const) {
        const anonymous = await api(method, path);
        assert.equal(anonymous.statusCode, 401, `${method} ${path}`);
        assert.match(String(anonymous.headers['content-type']), /^application\/problem\+json/);
        const member = await api(method, path, memberToken);
        assert.equal(member.statusCode, 403, `${method} ${path}`);
        assert.equal(member.json().code, 'FORBIDDEN');
      }
      assert.equal(notifications.callers.length, 0, 'nothing ran');
    });

    test('GET /jobs lists every job with its schedule (overrides applied) and next run', async () => {
      const response = await api('GET', '', adminToken);
      assert.equal(response.statusCode, 200);
      const items = response.json().items as Array<Record<string, unknown>>;
      assert.deepEqual(
        items.map((job) => [job.name, job.schedule]),
        [
          ['order-payment-timeouts', '* * * * *'],
          ['todo-reminders', '* * * * *'],
          ['purge-deleted-todos', '15 4 * * *'],
          ['prune-messaging-tables', '17 * * * *'],
        ],
      );
      const purge = items.find((job) => job.name === 'purge-deleted-todos')!;
      const next = new Date(String(purge.nextRunAt));
      assert.equal(next.getUTCHours(), 4);
      assert.equal(next.getUTCMinutes(), 15);
      assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + DAY_MS);
      for (const job of items) {
        assert.equal(typeof job.description, 'string');
        assert.equal(job.running, false);
      }
    });

    test('an unknown job is 404', async () => {
      for (const path of ['/no-such-job/run', '/no-such-job/runs']) {
        const response = await api(path.endsWith('run') ? 'POST' : 'GET', path, adminToken);
        assert.equal(response.statusCode, 404);
        assert.equal(response.json().code, 'WORKER_JOB_NOT_FOUND');
      }
    });

    test('POST /run answers 202 at the start, 409 while it runs, and the run shows up', async () => {
      let release!: () => void;
      orders.hold = new Promise((resolve) => {
        release = resolve;
      });
      const started = await api('POST', '/order-payment-timeouts/run', adminToken);
      assert.equal(started.statusCode, 202);
      const run = started.json();
      assert.equal(run.trigger, 'manual');
      assert.equal(run.outcome, null);

      // The run is held by orders until released: a second one is refused meanwhile.
      const listed = await api('GET', '', adminToken);
      const job = listed
        .json()
        .items.find((j: { name: string }) => j.name === 'order-payment-timeouts');
      assert.equal(job.running, true);
      const again = await api('POST', '/order-payment-timeouts/run', adminToken);
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'WORKER_JOB_RUNNING');

      orders.hold = undefined;
      release();
      let runs: Array<{ id: string; outcome: string | null; detail: string }> = [];
      for (let i = 0; i < 200; i++) {
        runs = (await api('GET', '/order-payment-timeouts/runs', adminToken)).json().items;
        if (runs[0]?.outcome) break;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      assert.equal(runs[0]?.id, run.id);
      assert.equal(runs[0]?.outcome, 'ok');
      assert.equal(runs[0]?.detail, 'expired 2 pending orders');
    });
  });

  describe('jobs', () => {
    test('order-payment-timeouts calls orders with a service token of the worker', async () => {
      orders.callers.length = 0;
      orders.answer = { status: 200, body: { expired: 1 } };
      const run = await runNow('order-payment-timeouts');
      assert.equal(run.outcome, 'ok');
      assert.equal(run.detail, 'expired 1 pending order');
      assert.deepEqual(orders.callers, ['worker']);
    });

    test('todo-reminders calls notifications', async () => {
      notifications.answer = { status: 200, body: { sent: 3 } };
      const run = await runNow('todo-reminders');
      assert.deepEqual([run.outcome, run.detail], ['ok', 'sent 3 reminders']);
      assert.deepEqual(notifications.callers.at(-1), 'worker');
    });

    test('purge-deleted-todos purges through the todos service', async () => {
      const db = platform.todos.context.db.db;
      const id = randomUUID();
      const old = new Date(Date.now() - 40 * DAY_MS);
      await sql`INSERT INTO todos (id, tenant_id, owner_id, title, version, created_at, updated_at,
          deleted_at, deleted_by)
        VALUES (${id}, 't-1', 'u-1', 'Long gone', 2, ${old}, ${old}, ${old}, 'u-1')`.execute(db);

      const run = await runNow('purge-deleted-todos');
      assert.deepEqual([run.outcome, run.detail], ['ok', 'purged 1 deleted todo']);
      const left = await sql`SELECT 1 FROM todos WHERE id = ${id}`.execute(db);
      assert.equal(left.rows.length, 0);
    });

    test('a service that is down fails its job with a clear detail; the other jobs carry on', async () => {
      const ordersUrl = orders.url;
      platform.discovery.table.set('orders', await deadUrl());
      try {
        const failed = await runNow('order-payment-timeouts');
        assert.equal(failed.outcome, 'failed');
        assert.match(failed.detail, /^orders: orders is unreachable: ECONNREFUSED/);
        const ok = await runNow('todo-reminders');
        assert.equal(ok.outcome, 'ok');

        platform.discovery.table.delete('orders');
        const missing = await runNow('order-payment-timeouts');
        assert.equal(missing.detail, 'orders: no instance is known to discovery');
      } finally {
        platform.discovery.table.set('orders', ordersUrl);
      }
      notifications.answer = {
        status: 503,
        body: { title: 'Service unavailable', detail: 'database down' },
      };
      const refused = await runNow('todo-reminders');
      assert.equal(refused.outcome, 'failed');
      assert.equal(
        refused.detail,
        'notifications: /internal/notifications/due-reminders answered 503 (database down)',
      );
      notifications.answer = { status: 200, body: { sent: 0 } };
    });

    test('prune-messaging-tables prunes every service with a database, skips the others, reports the down ones', async () => {
      const inboxRow = async (service: 'todos' | 'worker' | 'auth', ageMs: number) => {
        const instance = platform[service];
        const eventId = randomUUID();
        await sql`INSERT INTO inbox (consumer, event_id, processed_at)
          VALUES ('test.consumer', ${eventId}, ${new Date(Date.now() - ageMs)})`.execute(
          instance.context.db.db,
        );
        return eventId;
      };
      await inboxRow('todos', 8 * DAY_MS);
      await inboxRow('auth', 9 * DAY_MS);
      const recent = await inboxRow('todos', DAY_MS);
      platform.discovery.table.set('payments', await deadUrl());
      try {
        const run = await runNow('prune-messaging-tables');
        assert.equal(run.outcome, 'failed', 'payments is down');
        assert.match(run.detail, /^pruned \d+ outbox and \d+ inbox rows in 3 services \(/);
        assert.match(run.detail, /auth \d+\/1/);
        assert.match(run.detail, /todos \d+\/1/);
        assert.match(run.detail, /skipped, no database: notifications, orders/);
        assert.match(run.detail, /failed: payments: payments is unreachable: ECONNREFUSED/);
        const left = await sql<{ event_id: string }>`SELECT event_id FROM inbox
          WHERE consumer = 'test.consumer'`.execute(platform.todos.context.db.db);
        assert.deepEqual(
          left.rows.map((row) => row.event_id),
          [recent],
        );
      } finally {
        platform.discovery.table.delete('payments');
      }
      const clean = await runNow('prune-messaging-tables');
      assert.equal(clean.outcome, 'ok');
      assert.match(clean.detail, /^pruned 0 outbox and 0 inbox rows in 3 services/);
    });

    test('GET /metrics counts runs by job and outcome and exposes the last success', async () => {
      const response = await platform.worker.app.inject({ url: '/metrics' });
      const text = response.body;
      const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
      assert.ok(
        value(
          /worker_job_runs_total\{[^}]*job="order-payment-timeouts"[^}]*outcome="ok"[^}]*\} (\d+)/,
        ) >= 2,
      );
      assert.ok(
        value(
          /worker_job_runs_total\{[^}]*job="order-payment-timeouts"[^}]*outcome="failed"[^}]*\} (\d+)/,
        ) >= 2,
      );
      const lastSuccess = value(
        /worker_job_last_success_timestamp_seconds\{[^}]*job="purge-deleted-todos"[^}]*\} ([\d.e+]+)/,
      );
      assert.ok(
        Math.abs(lastSuccess * 1000 - Date.now()) < 10 * 60_000,
        `last success ${lastSuccess}`,
      );
    });

    test("the list shows each job's last finished run", async () => {
      const items = (await api('GET', '', adminToken)).json().items as Array<{
        name: string;
        lastRun: { outcome: string; detail: string; finishedAt: string } | null;
      }>;
      const prune = items.find((job) => job.name === 'prune-messaging-tables');
      assert.equal(prune?.lastRun?.outcome, 'ok');
      assert.match(prune?.lastRun?.detail ?? '', /^pruned 0 outbox/);
      assert.ok(prune?.lastRun?.finishedAt);
    });
  });
});
