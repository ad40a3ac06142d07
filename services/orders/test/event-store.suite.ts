import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { uuidv7 } from '@lattice/platform';
import { type DatabaseKind, testPostgresUrl } from '@lattice/platform/testing';
import { createQueryId, type KyselyPlugin, type RootOperationNode, sql } from 'kysely';
import { Registry } from 'prom-client';
import {
  appendEvents,
  appendStatement,
  ConcurrencyConflict,
  checkAppended,
  readStream,
  type StoredEvent,
  storedEvents,
} from '../src/data/event-store.ts';
import { KnownProducts } from '../src/data/known-products.ts';
import { appendAndProject, projectEvents } from '../src/data/projections.ts';
import type { Executor } from '../src/data/schema.ts';
import type { OrdersDeps } from '../src/domain/deps.ts';
import {
  cancelByCustomer,
  expireOrder,
  type OrderEvent,
  paymentRefunded,
  paymentSucceeded,
  placeOrder,
} from '../src/domain/order.ts';
import { orderMetrics } from '../src/domain/order-metrics.ts';
import {
  executeOrderCommand,
  executeOrderCommands,
  loadOrder,
  replayOrder,
} from '../src/domain/order-store.ts';
import {
  applyPaymentOutcome,
  applyPaymentOutcomes,
  type PaymentOutcome,
} from '../src/domain/payment-saga.ts';
import { rebuildReadModels } from '../src/rebuild-projections.ts';
import { database, type OrdersService, SNAPSHOT_EVERY } from './support/harness.ts';

const run = promisify(execFile);

function depsOf(svc: OrdersService, overrides: Partial<OrdersDeps> = {}): OrdersDeps {
  return {
    database: database(svc),
    events: svc.context.events,
    metrics: orderMetrics(new Registry()),
    products: new KnownProducts(),
    snapshotEvery: SNAPSHOT_EVERY,
    commandMaxAttempts: 5,
    idempotencyTtlMs: 60_000,
    paymentTimeoutMs: 300_000,
    expireBatchSize: 10,
    now: () => new Date(),
    newId: () => uuidv7(),
    ...overrides,
  };
}

const placed = (orderId: string, tenantId: string): OrderEvent[] =>
  placeOrder(undefined, {
    orderId,
    tenantId,
    customerId: randomUUID(),
    items: [{ sku: 'MUG-01', name: 'Lattice mug', quantity: 1, unitPriceCents: 1299 }],
    currency: 'EUR',
    paymentMethod: 'pm_card_ok',
    at: new Date(),
  });

/** Places an order straight through the command path, and returns its id. */
async function newOrder(deps: OrdersDeps): Promise<string> {
  const orderId = uuidv7();
  const tenantId = randomUUID();
  await deps.database.transaction((trx) =>
    executeOrderCommand(deps, trx, {
      orderId,
      tenantId,
      metadata: {},
      decide: () => placed(orderId, tenantId),
    }),
  );
  return orderId;
}

async function command(
  deps: OrdersDeps,
  orderId: string,
  decide: Parameters<typeof executeOrderCommand>[2]['decide'],
) {
  return deps.database.transaction((trx) =>
    executeOrderCommand(deps, trx, { orderId, metadata: {}, decide }),
  );
}

/**
 * One set of orders and the payment outcomes about them: two for one order, one for an order
 * cancelled meanwhile, one for no order, one naming another tenant.
 */
async function sagaScenario(
  deps: OrdersDeps,
): Promise<{ orders: string[]; outcomes: PaymentOutcome[] }> {
  const orders = [
    await newOrder(deps),
    await newOrder(deps),
    await newOrder(deps),
    await newOrder(deps),
  ];
  await command(deps, orders[3] as string, (o) => (o ? cancelByCustomer(o, new Date()) : []));
  const payment = async (orderId: string, paymentId: string, tenantId?: string) => ({
    paymentId,
    orderId,
    tenantId: tenantId ?? ((await loadOrder(deps.database.db, orderId)).order?.tenantId as string),
    customerId: 'customer',
    amountCents: 1299,
    currency: 'EUR',
  });
  const [a, b, c, d] = orders as [string, string, string, string];
  const outcomes: PaymentOutcome[] = [
    { kind: 'succeeded', payment: await payment(a, 'pay-a') },
    { kind: 'succeeded', payment: await payment(b, 'pay-b') },
    { kind: 'failed', payment: { ...(await payment(c, 'pay-c')), reason: 'payment_declined' } },
    { kind: 'refunded', payment: { ...(await payment(b, 'pay-b')), reason: 'admin' } },
    { kind: 'succeeded', payment: await payment(d, 'pay-d') },
    { kind: 'succeeded', payment: await payment(uuidv7(), 'pay-none', 'tenant') },
    { kind: 'succeeded', payment: await payment(a, 'pay-other', 'another-tenant') },
  ];
  return { orders, outcomes };
}

/** What a saga scenario left, without its ids and times. */
async function sagaOutcome(deps: OrdersDeps, orders: string[]) {
  const models = await readModels(deps.database.db);
  return Promise.all(
    orders.map(async (orderId) => {
      const detail = models.detail.find((row) => row.order_id === orderId);
      const list = models.list.find((row) => row.order_id === orderId);
      return {
        events: (await readStream(deps.database.db, orderId)).map((s) => s.event.type),
        status: (await loadOrder(deps.database.db, orderId)).order?.status,
        detail: [
          detail?.status,
          detail?.payment_id,
          detail?.cancellation_reason,
          !!detail?.refunded_at,
          detail?.version,
        ],
        list: [list?.status, list?.version],
      };
    }),
  );
}

/** A rival confirming the order at version 2, as a payment would; not projected. */
function rivalConfirms(db: Executor, streamId: string, tenantId: string) {
  return appendEvents(db, {
    streamId,
    tenantId,
    expectedVersion: 1,
    events: [
      { type: 'OrderConfirmed', data: { paymentId: 'rival', at: new Date().toISOString() } },
    ],
    metadata: {},
    recordedAt: new Date(),
  });
}

async function readModels(db: Executor) {
  const detail = await db.selectFrom('order_detail').selectAll().orderBy('order_id').execute();
  const list = await db.selectFrom('order_list').selectAll().orderBy('order_id').execute();
  // pg parses jsonb, PGlite may not: compare values.
  return {
    detail: detail.map((row) => ({
      ...row,
      items: typeof row.items === 'string' ? JSON.parse(row.items) : row.items,
      total_cents: Number(row.total_cents),
    })),
    list: list.map((row) => ({ ...row, total_cents: Number(row.total_cents) })),
  };
}

export function eventStoreBehaviours(svc: () => OrdersService, kind: DatabaseKind): void {
  describe('event store', () => {
    test('appending at a version already taken fails with a ConcurrencyConflict and writes nothing', async () => {
      const db = database(svc());
      const streamId = uuidv7();
      const tenantId = randomUUID();
      // Projected as the command path does, so the read models stay the events' image.
      const append = (expectedVersion: number, events: OrderEvent[]) =>
        db.transaction(async (trx) => {
          const stored = await appendEvents(trx, {
            streamId,
            tenantId,
            expectedVersion,
            events,
            metadata: {},
            recordedAt: new Date(),
          });
          await projectEvents(trx, stored);
          return stored;
        });
      const [first] = await append(0, placed(streamId, tenantId));
      assert.equal(first?.version, 1);

      const confirm: OrderEvent = {
        type: 'OrderConfirmed',
        data: { paymentId: 'p1', at: new Date().toISOString() },
      };
      await assert.rejects(append(0, placed(streamId, tenantId)), (error: unknown) => {
        assert.ok(error instanceof ConcurrencyConflict);
        assert.equal(error.streamId, streamId);
        assert.equal(error.expectedVersion, 0);
        return true;
      });
      await append(1, [confirm]);
      // A writer that read version 1 decides two events: refused as a whole.
      const cancel: OrderEvent = {
        type: 'OrderCancelled',
        data: { reason: 'cancelled_by_customer', at: new Date().toISOString() },
      };
      await assert.rejects(append(1, [cancel, cancel]), ConcurrencyConflict);
      const stream = await readStream(db.db, streamId);
      assert.deepEqual(
        stream.map((s) => [s.version, s.event.type]),
        [
          [1, 'OrderPlaced'],
          [2, 'OrderConfirmed'],
        ],
      );
    });

    test('a conflicting append is undone and the command decided again on the fresh state', async () => {
      const deps = depsOf(svc());
      const orderId = await newOrder(deps);
      const seen: string[] = [];
      const result = await deps.database.transaction(async (trx) =>
        executeOrderCommand(deps, trx, {
          orderId,
          metadata: {},
          decide: async (order) => {
            if (!order) return [];
            seen.push(order.status);
            if (seen.length === 1) {
              // Stands in for a payment confirming the order right after this command read
              // it, before it appends (in this transaction: PGlite runs one at a time).
              await projectEvents(trx, await rivalConfirms(trx, orderId, order.tenantId));
            }
            return cancelByCustomer(order, new Date());
          },
        }),
      );
      // Decided on "pending" (a plain cancel), refused at version 2, decided again on
      // "confirmed": now a paid order's cancellation, the rival's payment to be refunded.
      assert.deepEqual(seen, ['pending', 'confirmed']);
      assert.equal(result.order?.status, 'cancelled');
      assert.equal(result.order?.paymentId, 'rival');
      const stream = await readStream(deps.database.db, orderId);
      assert.deepEqual(
        stream.map((s) => s.event.type),
        ['OrderPlaced', 'OrderConfirmed', 'OrderCancelled', 'RefundRequested'],
      );
    });

    test('with a real concurrent writer the loser retries on fresh state, within bounded attempts', {
      skip: kind === 'pglite' ? 'PGlite runs one transaction at a time' : false,
    }, async () => {
      // The timeout job reads "pending"; before it appends, a payment confirms the order in
      // another transaction. Its append then conflicts, and the retry sees "confirmed".
      const race = async (deps: OrdersDeps) => {
        const orderId = await newOrder(deps);
        const seen: string[] = [];
        const outcome = deps.database.transaction((trx) =>
          executeOrderCommand(deps, trx, {
            orderId,
            metadata: {},
            decide: async (order) => {
              if (!order) return [];
              seen.push(order.status);
              if (seen.length === 1) {
                await command(deps, orderId, (o) =>
                  o ? paymentSucceeded(o, 'pay-rival', new Date()) : [],
                );
              }
              return expireOrder(order, new Date());
            },
          }),
        );
        return { orderId, seen, outcome };
      };

      const deps = depsOf(svc());
      const won = await race(deps);
      const result = await won.outcome;
      assert.deepEqual(won.seen, ['pending', 'confirmed']);
      assert.equal(result.order?.status, 'confirmed');
      assert.deepEqual(result.appended, []);
      const stream = await readStream(deps.database.db, won.orderId);
      assert.deepEqual(
        stream.map((s) => s.event.type),
        ['OrderPlaced', 'OrderConfirmed'],
      );

      const impatient = await race(depsOf(svc(), { commandMaxAttempts: 1 }));
      await assert.rejects(impatient.outcome, (error: unknown) => {
        assert.equal((error as { code?: string }).code, 'ORDERS_CONCURRENT_CHANGE');
        assert.equal((error as { status?: number }).status, 503);
        return true;
      });
      assert.deepEqual(impatient.seen, ['pending']);
    });

    test('loading from the latest snapshot equals replaying the whole stream', async () => {
      const deps = depsOf(svc());
      const at = () => new Date();
      const histories: Array<Array<Parameters<typeof command>[2]>> = [
        [],
        [(o) => (o ? paymentSucceeded(o, 'pay-a', at()) : [])],
        [(o) => (o ? cancelByCustomer(o, at()) : [])],
        [
          (o) => (o ? paymentSucceeded(o, 'pay-b', at()) : []),
          (o) => (o ? cancelByCustomer(o, at()) : []),
          (o) => (o ? paymentRefunded(o, 'pay-b', 'cancelled_by_customer', at()) : []),
        ],
        [
          (o) => (o ? expireOrder(o, at()) : []),
          (o) => (o ? paymentSucceeded(o, 'pay-late', at()) : []),
          (o) => (o ? paymentSucceeded(o, 'pay-late', at()) : []),
          (o) => (o ? paymentRefunded(o, 'pay-late', 'payment_timeout', at()) : []),
        ],
      ];
      for (const steps of histories) {
        const orderId = await newOrder(deps);
        for (const step of steps) await command(deps, orderId, step);
        const full = await replayOrder(deps.database.db, orderId);
        const loaded = await loadOrder(deps.database.db, orderId);
        assert.deepEqual(loaded.order, full);
        assert.equal(loaded.version, full?.version);

        const snapshot = await deps.database.db
          .selectFrom('order_snapshots')
          .select(['version'])
          .where('stream_id', '=', orderId)
          .executeTakeFirst();
        const version = full?.version ?? 0;
        const expected = Math.floor(version / SNAPSHOT_EVERY) * SNAPSHOT_EVERY;
        assert.equal(snapshot?.version, expected === 0 ? undefined : expected, `at ${version}`);
      }
    });

    test('loading reads the snapshot, and ignores one of another shape', async () => {
      const deps = depsOf(svc());
      const orderId = await newOrder(deps);
      await command(deps, orderId, (o) => (o ? paymentSucceeded(o, 'pay-s', new Date()) : []));
      const full = await replayOrder(deps.database.db, orderId);
      // A snapshot saying something the events do not: load must show it (it read the
      // snapshot, not the events before it) — until the snapshot's shape is not the current one.
      const tampered = { ...full, paymentMethod: 'from-the-snapshot' };
      await deps.database.db
        .updateTable('order_snapshots')
        .set({ state: JSON.stringify(tampered) })
        .where('stream_id', '=', orderId)
        .execute();
      assert.equal(
        (await loadOrder(deps.database.db, orderId)).order?.paymentMethod,
        'from-the-snapshot',
      );
      await deps.database.db
        .updateTable('order_snapshots')
        .set({ schema: 0 })
        .where('stream_id', '=', orderId)
        .execute();
      assert.deepEqual((await loadOrder(deps.database.db, orderId)).order, full);
    });

    test('an append that conflicts projects nothing, though both go in one statement', async () => {
      const deps = depsOf(svc());
      const orderId = await newOrder(deps);
      const before = await readModels(deps.database.db);
      const { tenantId } = (await loadOrder(deps.database.db, orderId)).order as {
        tenantId: string;
      };
      const at = new Date();
      const append = (paymentId: string) => ({
        streamId: orderId,
        tenantId,
        expectedVersion: 1,
        events: [{ type: 'OrderConfirmed' as const, data: { paymentId, at: at.toISOString() } }],
        metadata: {},
        recordedAt: at,
      });
      // A rival takes version 2 without projecting it yet.
      await appendEvents(deps.database.db, append('rival'));
      const mine = [append('mine')];
      const inserted = await deps.database.transaction((trx) =>
        appendAndProject(trx, appendStatement(mine)!, storedEvents(mine).flat()),
      );
      assert.deepEqual(inserted, []);
      assert.throws(() => checkAppended(mine, inserted), ConcurrencyConflict);
      assert.deepEqual(await readModels(deps.database.db), before);
      // The rival's projection catches up: the read models agree with the store again.
      const stream = await readStream(deps.database.db, orderId);
      await deps.database.transaction((trx) => projectEvents(trx, stream));
    });

    test("the read models' updates find their rows by primary key in a prepared (generic) plan", async () => {
      const deps = depsOf(svc());
      const orderId = await newOrder(deps);
      const tenantId = (await loadOrder(deps.database.db, orderId)).order?.tenantId as string;
      const payment = {
        paymentId: 'pay-plan',
        orderId,
        tenantId,
        customerId: 'customer',
        amountCents: 1299,
        currency: 'EUR',
      };
      await deps.database.transaction((trx) =>
        applyPaymentOutcome(deps, trx, { kind: 'succeeded', payment }, { causationId: 'plan' }),
      );
      const changed = (await readStream(deps.database.db, orderId)).slice(1);
      assert.equal(changed.length, 1, 'the confirmation, a change of an existing order');
      // The statement that projects it, as sent: caught on its way to the driver.
      const statements: RootOperationNode[] = [];
      const capture: KyselyPlugin = {
        transformQuery: ({ node }) => {
          statements.push(node);
          return node;
        },
        transformResult: async ({ result }) => result,
      };
      // Read models of some thousands of orders, as a service holds after a while: on a nearly
      // empty table a sequential scan is the cheapest plan anyway. Rolled back at the end.
      const rollback = new Error('rolled back');
      let plan = '';
      await deps.database
        .transaction(async (trx) => {
          await sql`INSERT INTO order_detail (order_id, tenant_id, customer_id, status, items,
              total_cents, currency, payment_method, created_at, updated_at, version)
            SELECT gen_random_uuid(), 'filler', 'filler', 'confirmed', '[]', 100, 'EUR',
              'pm_card_ok', now(), now(), 2
            FROM generate_series(1, 5000)`.execute(trx);
          await sql`INSERT INTO order_list (order_id, tenant_id, customer_id, status, total_cents,
              currency, line_count, created_at, updated_at, version)
            SELECT order_id, tenant_id, customer_id, status, total_cents, currency, 0, created_at,
              updated_at, version
            FROM order_detail WHERE tenant_id = 'filler'`.execute(trx);
          await projectEvents(trx.withPlugin(capture), changed);
          const compiled = trx.getExecutor().compileQuery(statements.at(-1)!, createQueryId());
          // A prepared statement's plan as PostgreSQL keeps it: made without the parameters'
          // values, so the planner knows nothing of how few rows the input holds.
          await sql`SET LOCAL plan_cache_mode = force_generic_plan`.execute(trx);
          await sql.raw(`PREPARE read_model_probe AS ${compiled.sql}`).execute(trx);
          const values = compiled.parameters.map((value) =>
            typeof value === 'string' ? `'${value.replaceAll("'", "''")}'` : String(value),
          );
          const { rows } = await sql
            .raw<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE read_model_probe(${values.join(', ')})`)
            .execute(trx);
          await sql`DEALLOCATE read_model_probe`.execute(trx);
          plan = rows.map((row) => row['QUERY PLAN']).join('\n');
          throw rollback;
        })
        .catch((error: unknown) => {
          if (error !== rollback) throw error;
        });
      assert.match(plan, /Update on order_detail/);
      assert.match(plan, /Update on order_list/);
      assert.doesNotMatch(
        plan,
        /Seq Scan on order_(detail|list)/,
        `a scan of a whole read model grows with every order ever placed:\n${plan}`,
      );
    });

    test('a batch of payment outcomes ends as the same outcomes applied one by one', async () => {
      const deps = depsOf(svc());
      const one = await sagaScenario(deps);
      const singly = [];
      for (const [index, outcome] of one.outcomes.entries()) {
        const step = await deps.database.transaction((trx) =>
          applyPaymentOutcome(deps, trx, outcome, { causationId: `e${index}` }),
        );
        singly.push([step.ignored, step.appended.map((s) => s.event.type)]);
      }
      const batch = await sagaScenario(deps);
      const steps = await deps.database.transaction((trx) =>
        applyPaymentOutcomes(
          deps,
          trx,
          batch.outcomes.map((outcome, index) => ({
            outcome,
            metadata: { causationId: `e${index}` },
          })),
        ),
      );
      assert.deepEqual(
        steps.map((step) => [step.ignored, step.appended.map((s) => s.event.type)]),
        singly,
      );
      const left = await sagaOutcome(deps, batch.orders);
      assert.deepEqual(left, await sagaOutcome(deps, one.orders));
      assert.deepEqual(
        left.map((o) => o.status),
        ['confirmed', 'confirmed', 'cancelled', 'cancelled'],
      );
      assert.deepEqual(left[1]?.events, ['OrderPlaced', 'OrderConfirmed', 'PaymentRefunded']);
    });

    test('commands on several orders fail as a whole when one stream moved meanwhile', async () => {
      const deps = depsOf(svc());
      const calm = await newOrder(deps);
      const moved = await newOrder(deps);
      await assert.rejects(
        deps.database.transaction((trx) =>
          executeOrderCommands(deps, trx, [
            {
              orderId: calm,
              metadata: {},
              decide: (order) => (order ? paymentSucceeded(order, 'pay-calm', new Date()) : []),
            },
            {
              orderId: moved,
              metadata: {},
              decide: async (order) => {
                if (!order) return [];
                // A rival appends version 2 after this command read version 1.
                await rivalConfirms(trx, moved, order.tenantId);
                return cancelByCustomer(order, new Date());
              },
            },
          ]),
        ),
        (error) => error instanceof ConcurrencyConflict && error.streamId === moved,
      );
      // The transaction failed whole: neither order moved.
      for (const orderId of [calm, moved]) {
        assert.deepEqual(
          (await readStream(deps.database.db, orderId)).map((s) => s.event.type),
          ['OrderPlaced'],
        );
      }
    });

    test('rebuilding the read models from the events equals the live ones', async () => {
      const deps = depsOf(svc());
      const orderId = await newOrder(deps);
      await command(deps, orderId, (o) => (o ? paymentSucceeded(o, 'pay-r', new Date()) : []));
      await command(deps, orderId, (o) => (o ? cancelByCustomer(o, new Date()) : []));
      const live = await readModels(deps.database.db);
      assert.ok(live.detail.length > 0);

      // Damage the live models: the rebuild must not depend on them.
      await deps.database.db
        .updateTable('order_detail')
        .set({ status: 'pending', cancellation_reason: null })
        .where('order_id', '=', orderId)
        .execute();
      await deps.database.db.deleteFrom('order_list').where('order_id', '=', orderId).execute();

      const { events } = await rebuildReadModels(deps.database);
      const total = await deps.database.db
        .selectFrom('order_events')
        .select((eb) => eb.fn.countAll<number | string>().as('n'))
        .executeTakeFirstOrThrow();
      assert.equal(events, Number(total.n));
      assert.deepEqual(await readModels(deps.database.db), live);
    });

    test('projecting the same events again changes nothing', async () => {
      const deps = depsOf(svc());
      const orderId = await newOrder(deps);
      await command(deps, orderId, (o) => (o ? paymentSucceeded(o, 'pay-i', new Date()) : []));
      const before = await readModels(deps.database.db);
      const stream: StoredEvent[] = await readStream(deps.database.db, orderId);
      await deps.database.transaction((trx) => projectEvents(trx, stream));
      // And an older event after a newer one.
      await deps.database.transaction((trx) => projectEvents(trx, stream.slice(0, 1)));
      assert.deepEqual(await readModels(deps.database.db), before);
    });

    test('the rebuild-projections command rebuilds a PostgreSQL database from its events', {
      skip: kind === 'pglite' ? 'the command opens the database by URL' : false,
    }, async () => {
      const name = (svc() as OrdersService & { testDatabase?: { name?: string } }).testDatabase
        ?.name;
      assert.ok(name);
      const url = new URL(testPostgresUrl());
      url.pathname = `/${name}`;
      const live = await readModels(database(svc()).db);
      const { stdout } = await run(
        process.execPath,
        [new URL('../src/rebuild-projections.ts', import.meta.url).pathname],
        {
          env: {
            ...process.env,
            LATTICE_MODE: 'distributed',
            POSTGRES_URL: testPostgresUrl(),
            DATABASE_URL: url.toString(),
            LOG_LEVEL: 'silent',
          },
          timeout: 60_000,
        },
      );
      assert.match(stdout, /orders read models rebuilt from \d+ events/);
      assert.deepEqual(await readModels(database(svc()).db), live);
    });
  });
}
