// The worker as it runs: the real auth (service and user tokens), todos, orders,
// notifications and gateway services and the worker, each on a real port, on one PGlite and
// one in-process bus. Failures are injected at the network: a closed port, an instance that
// hangs, one that answers 503.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eventually } from '@lattice/platform/testing';
import { sql } from 'kysely';
import {
  ADMIN_EMAIL,
  deadUrl,
  faultyServer,
  type Platform,
  register,
  startPlatform,
} from './support/platform.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

interface Run {
  id: string;
  trigger: string;
  outcome: 'ok' | 'failed' | null;
  detail: string | null;
}

describe('worker service', () => {
  let platform: Platform;
  let admin: { token: string };
  let member: { token: string; userId: string };

  before(async () => {
    platform = await startPlatform({ WORKER_SCHEDULE_PURGE_DELETED_TODOS: '15 4 * * *' });
    admin = await register(platform.auth, ADMIN_EMAIL);
    member = await register(platform.auth, 'member@worker.test');
  });
  after(() => platform?.stop());

  const api = (method: 'GET' | 'POST', path: string, token?: string) =>
    platform.worker.app.inject({
      method,
      url: `/api/v1/worker/jobs${path}`,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const runNow = async (job: string): Promise<Run> => {
    const response = await api('POST', `/${job}/run?wait=true`, admin.token);
    assert.equal(response.statusCode, 200, response.body);
    return response.json();
  };
  /** Points discovery at another instance of `service` while `work` runs. */
  const withInstance = async (
    service: string,
    url: string | undefined,
    work: () => Promise<void>,
  ) => {
    const real = platform.discovery.table.get(service)!;
    if (url) platform.discovery.table.set(service, url);
    else platform.discovery.table.delete(service);
    try {
      await work();
    } finally {
      platform.discovery.table.set(service, real);
    }
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
        const forbidden = await api(method, path, member.token);
        assert.equal(forbidden.statusCode, 403, `${method} ${path}`);
        assert.equal(forbidden.json().code, 'FORBIDDEN');
      }
      const runs = await api('GET', '/todo-reminders/runs', admin.token);
      assert.deepEqual(runs.json().items, [], 'nothing ran');
    });

    test('GET /jobs lists every job with its schedule (overrides applied) and next run', async () => {
      const response = await api('GET', '', admin.token);
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
      assert.deepEqual([next.getUTCHours(), next.getUTCMinutes()], [4, 15]);
      assert.ok(next.getTime() > Date.now() && next.getTime() <= Date.now() + DAY_MS);
      for (const job of items) {
        assert.equal(typeof job.description, 'string');
        assert.equal(job.running, false);
        assert.equal(job.lastRun, null);
      }
    });

    test('an unknown job is 404', async () => {
      for (const [method, path] of [
        ['POST', '/no-such-job/run'],
        ['GET', '/no-such-job/runs'],
      ] as const) {
        const response = await api(method, path, admin.token);
        assert.equal(response.statusCode, 404);
        assert.equal(response.json().code, 'WORKER_JOB_NOT_FOUND');
      }
    });

    test('POST /run answers 202 at the start and 409 while it runs; the run is recorded', async () => {
      // An orders instance that accepts the call and never answers holds the run open.
      const hanging = await faultyServer(() => {});
      let run: Run | undefined;
      let recorded: Run | undefined;
      await withInstance('orders', hanging.url, async () => {
        const started = await api('POST', '/order-payment-timeouts/run', admin.token);
        assert.equal(started.statusCode, 202);
        run = started.json();
        assert.deepEqual([run?.trigger, run?.outcome], ['manual', null]);
        const listed = (await api('GET', '', admin.token)).json().items;
        assert.equal(
          listed.find((j: { name: string }) => j.name === 'order-payment-timeouts').running,
          true,
        );
        const again = await api('POST', '/order-payment-timeouts/run', admin.token);
        assert.equal(again.statusCode, 409);
        assert.equal(again.json().code, 'WORKER_JOB_RUNNING');
        // The instance goes away: the call fails and the run ends, failed.
        await hanging.close();
        const [ended] = await eventually(
          'the run to end',
          async () => {
            const items: Run[] = (
              await api('GET', '/order-payment-timeouts/runs', admin.token)
            ).json().items;
            return items[0]?.outcome ? items : undefined;
          },
          10_000,
        );
        recorded = ended;
      });
      assert.equal(recorded?.id, run?.id);
      assert.equal(recorded?.outcome, 'failed');
      assert.match(recorded?.detail ?? '', /^orders: orders is unreachable/);
    });
  });

  describe('jobs against the real services', () => {
    test('order-payment-timeouts: an order pending past the timeout is cancelled by the orders service', async () => {
      const user = await register(platform.auth, 'buyer@worker.test');
      const headers = { authorization: `Bearer ${user.token}` };
      const products = await platform.orders.app.inject({ url: '/api/v1/products', headers });
      const sku = products.json().items[0].sku as string;
      const placed = await platform.orders.app.inject({
        method: 'POST',
        url: '/api/v1/orders',
        headers: { ...headers, 'idempotency-key': randomUUID() },
        payload: { items: [{ sku, quantity: 1 }] },
      });
      assert.equal(placed.statusCode, 201, placed.body);
      const order = placed.json();
      assert.equal(order.status, 'pending');
      // ORDERS_PAYMENT_TIMEOUT_MS is one second here; nothing pays (no payments service).
      await new Promise((resolve) => setTimeout(resolve, 1_200));

      const run = await runNow('order-payment-timeouts');
      assert.deepEqual([run.outcome, run.detail], ['ok', 'expired 1 pending order']);
      const after = await platform.orders.app.inject({
        url: `/api/v1/orders/${order.id}`,
        headers,
      });
      assert.equal(after.json().status, 'cancelled');
      assert.equal(after.json().cancellationReason, 'payment_timeout');
      const again = await runNow('order-payment-timeouts');
      assert.equal(again.detail, 'expired 0 pending orders');
    });

    test('todo-reminders: a todo that came due is reminded once through notifications', async () => {
      const headers = { authorization: `Bearer ${member.token}` };
      const created = await platform.todos.app.inject({
        method: 'POST',
        url: '/api/v1/todos',
        headers,
        payload: {
          title: 'Renew the passport',
          dueAt: new Date(Date.now() - 60_000).toISOString(),
        },
      });
      assert.equal(created.statusCode, 201, created.body);
      // todos → outbox → bus → notifications stores the reminder; then the job sends it.
      const run = await eventually(
        'the reminder to be sent',
        async () => {
          const attempt = await runNow('todo-reminders');
          assert.equal(attempt.outcome, 'ok', attempt.detail ?? '');
          return attempt.detail === 'sent 1 reminder' ? attempt : undefined;
        },
        20_000,
      );
      assert.equal(run.detail, 'sent 1 reminder');
      const inbox = await platform.notifications.app.inject({
        url: '/api/v1/notifications',
        headers,
      });
      const reminders = inbox
        .json()
        .items.filter((n: { type: string }) => n.type === 'todo_reminder');
      assert.equal(reminders.length, 1);
      assert.equal((await runNow('todo-reminders')).detail, 'sent 0 reminders', 'once');
    });

    test('purge-deleted-todos: the todos service purges what is past retention', async () => {
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
      await withInstance('orders', await deadUrl(), async () => {
        const failed = await runNow('order-payment-timeouts');
        assert.equal(failed.outcome, 'failed');
        assert.match(failed.detail ?? '', /^orders: orders is unreachable: ECONNREFUSED/);
        const ok = await runNow('purge-deleted-todos');
        assert.equal(ok.outcome, 'ok');
      });
      await withInstance('orders', undefined, async () => {
        const missing = await runNow('order-payment-timeouts');
        assert.equal(missing.detail, 'orders: no instance is known to discovery');
      });
      const overloaded = await faultyServer((_request, response) => {
        response
          .writeHead(503, { 'content-type': 'application/problem+json' })
          .end(
            JSON.stringify({ title: 'Service unavailable', status: 503, detail: 'database down' }),
          );
      });
      await withInstance('notifications', overloaded.url, async () => {
        const refused = await runNow('todo-reminders');
        assert.equal(refused.outcome, 'failed');
        assert.equal(
          refused.detail,
          'notifications: /internal/notifications/due-reminders answered 503 (database down)',
        );
      });
      await overloaded.close();
      assert.equal((await runNow('order-payment-timeouts')).outcome, 'ok', 'orders is back');
    });

    test('prune-messaging-tables prunes every service with a database, skips the others, reports the down ones', async () => {
      const inboxRow = async (service: 'todos' | 'auth' | 'orders', ageMs: number) => {
        const eventId = randomUUID();
        await sql`INSERT INTO inbox (consumer, event_id, processed_at)
          VALUES ('test.consumer', ${eventId}, ${new Date(Date.now() - ageMs)})`.execute(
          platform[service].context.db.db,
        );
        return eventId;
      };
      await inboxRow('todos', 8 * DAY_MS);
      await inboxRow('auth', 9 * DAY_MS);
      await inboxRow('orders', 30 * DAY_MS);
      const recent = await inboxRow('todos', DAY_MS);
      platform.discovery.table.set('payments', await deadUrl());
      try {
        const run = await runNow('prune-messaging-tables');
        const detail = run.detail ?? '';
        assert.equal(run.outcome, 'failed', 'payments is down');
        assert.match(detail, /^pruned \d+ outbox and \d+ inbox rows in 5 services \(/);
        for (const service of ['auth', 'orders', 'todos'])
          assert.match(detail, new RegExp(`${service} \\d+/1`), service);
        assert.match(detail, /notifications \d+\/0/);
        assert.match(detail, /worker \d+\/0/);
        assert.match(detail, /skipped, no database: gateway/);
        assert.match(detail, /failed: payments: payments is unreachable: ECONNREFUSED/);
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
      assert.match(clean.detail ?? '', /^pruned 0 outbox and 0 inbox rows in 5 services/);
    });

    test('GET /metrics counts runs by job and outcome and exposes the last success', async () => {
      const text = (await platform.worker.app.inject({ url: '/metrics' })).body;
      const value = (pattern: RegExp) => Number(pattern.exec(text)?.[1] ?? Number.NaN);
      const runs = (outcome: string) =>
        value(
          new RegExp(
            `worker_job_runs_total\\{[^}]*job="order-payment-timeouts"[^}]*outcome="${outcome}"[^}]*\\} (\\d+)`,
          ),
        );
      assert.ok(runs('ok') >= 3, `ok ${runs('ok')}`);
      assert.ok(runs('failed') >= 3, `failed ${runs('failed')}`);
      const lastSuccess = value(
        /worker_job_last_success_timestamp_seconds\{[^}]*job="purge-deleted-todos"[^}]*\} ([\d.e+]+)/,
      );
      assert.ok(
        Math.abs(lastSuccess * 1000 - Date.now()) < 10 * 60_000,
        `last success ${lastSuccess}`,
      );
    });

    test("the list shows each job's last finished run", async () => {
      const items = (await api('GET', '', admin.token)).json().items as Array<{
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
