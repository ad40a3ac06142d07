import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { DatabaseKind } from '@lattice/platform/testing';
import { sql } from 'kysely';
import { lockId } from '../src/data/idempotency-keys.ts';
import type { OrdersDeps } from '../src/domain/deps.ts';
import { expireIdempotencyKeys } from '../src/domain/idempotency.ts';
import {
  call,
  database,
  newUser,
  type OrdersService,
  outboxEventsAbout,
  placeOrder,
} from './support/harness.ts';

const ORDERS = '/api/v1/orders';
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

export function placeBehaviours(svc: () => OrdersService, kind: DatabaseKind): void {
  describe('POST /orders', () => {
    test('places a pending order priced from the catalog, announced by order.placed.v1', async () => {
      const user = await newUser();
      const response = await call(svc(), 'POST', ORDERS, {
        token: user.token,
        headers: { 'idempotency-key': randomUUID(), traceparent: TRACEPARENT },
        payload: {
          items: [
            { sku: 'MUG-01', quantity: 2 },
            { sku: 'STICK-01', quantity: 1 },
          ],
        },
      });
      assert.equal(response.statusCode, 201, response.body);
      const order = response.json();
      assert.equal(order.status, 'pending');
      assert.equal(order.currency, 'EUR');
      assert.equal(order.paymentMethod, 'pm_card_ok');
      assert.deepEqual(order.items, [
        { sku: 'MUG-01', name: 'Lattice mug', quantity: 2, unitPriceCents: 1299 },
        { sku: 'STICK-01', name: 'Sticker pack', quantity: 1, unitPriceCents: 499 },
      ]);
      assert.equal(order.totalCents, 2 * 1299 + 499);
      assert.equal(response.headers.location, `${ORDERS}/${order.id}`);
      assert.equal(order.createdAt, order.updatedAt);
      assert.equal(order.paymentId, undefined);

      const [placed, ...others] = await outboxEventsAbout(svc(), order.id);
      assert.equal(others.length, 0);
      assert.equal(placed?.type, 'lattice.orders.order.placed.v1');
      assert.equal(placed?.tenantid, user.tenantId);
      // The same trace (the kit may put its own span of that trace in the span id).
      assert.equal(placed?.traceparent?.slice(3, 35), TRACEPARENT.slice(3, 35));
      assert.deepEqual(placed?.data, {
        orderId: order.id,
        tenantId: user.tenantId,
        customerId: user.userId,
        totalCents: order.totalCents,
        currency: 'EUR',
        items: order.items,
        paymentMethod: 'pm_card_ok',
      });

      const [stored] = await database(svc())
        .db.selectFrom('order_events')
        .selectAll()
        .where('stream_id', '=', order.id)
        .execute();
      assert.equal(stored?.version, 1);
      assert.equal(stored?.type, 'OrderPlaced');
      const metadata =
        typeof stored?.metadata === 'string' ? JSON.parse(stored.metadata) : stored?.metadata;
      assert.deepEqual(metadata, { actor: user.userId, traceparent: TRACEPARENT });
    });

    test('the payment method chosen travels with the placed event', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user, {
        items: [{ sku: 'CAP-01', quantity: 1 }],
        paymentMethod: 'pm_card_declined',
      });
      assert.equal(order.paymentMethod, 'pm_card_declined');
      const [placed] = await outboxEventsAbout(svc(), order.id);
      assert.equal(
        (placed?.data as { paymentMethod?: string } | undefined)?.paymentMethod,
        'pm_card_declined',
      );
    });

    test('without an Idempotency-Key answers 400 and places nothing', async () => {
      const user = await newUser();
      const response = await call(svc(), 'POST', ORDERS, {
        token: user.token,
        payload: { items: [{ sku: 'MUG-01', quantity: 1 }] },
      });
      assert.equal(response.statusCode, 400);
      assert.match(response.headers['content-type'] ?? '', /application\/problem\+json/);
      assert.equal(response.json().code, 'ORDERS_IDEMPOTENCY_KEY_REQUIRED');
      const list = await call(svc(), 'GET', ORDERS, { token: user.token });
      assert.deepEqual(list.json().items, []);
    });

    const invalidBodies: Array<[string, unknown]> = [
      ['no items', {}],
      ['empty items', { items: [] }],
      ['quantity 0', { items: [{ sku: 'MUG-01', quantity: 0 }] }],
      ['quantity 101', { items: [{ sku: 'MUG-01', quantity: 101 }] }],
      ['fractional quantity', { items: [{ sku: 'MUG-01', quantity: 1.5 }] }],
      ['quantity as text', { items: [{ sku: 'MUG-01', quantity: '2' }] }],
      ['no sku', { items: [{ quantity: 1 }] }],
      ['an unknown field', { items: [{ sku: 'MUG-01', quantity: 1 }], coupon: 'FREE' }],
      ['empty payment method', { items: [{ sku: 'MUG-01', quantity: 1 }], paymentMethod: '' }],
      [
        '51 lines',
        { items: Array.from({ length: 51 }, (_, i) => ({ sku: `SKU-${i}`, quantity: 1 })) },
      ],
    ];
    for (const [what, payload] of invalidBodies) {
      test(`with ${what} answers 400 validation problem`, async () => {
        const user = await newUser();
        const response = await call(svc(), 'POST', ORDERS, {
          token: user.token,
          headers: { 'idempotency-key': randomUUID() },
          payload: payload as object,
        });
        assert.equal(response.statusCode, 400, response.body);
        assert.equal(response.json().code, 'VALIDATION_FAILED');
      });
    }

    test('an unknown sku answers 422 naming it, and places nothing', async () => {
      const user = await newUser();
      const response = await call(svc(), 'POST', ORDERS, {
        token: user.token,
        headers: { 'idempotency-key': randomUUID() },
        payload: {
          items: [
            { sku: 'MUG-01', quantity: 1 },
            { sku: 'NO-SUCH', quantity: 1 },
          ],
        },
      });
      assert.equal(response.statusCode, 422);
      assert.equal(response.json().code, 'ORDERS_UNKNOWN_SKU');
      assert.deepEqual(response.json().skus, ['NO-SUCH']);
      const list = await call(svc(), 'GET', ORDERS, { token: user.token });
      assert.deepEqual(list.json().items, []);
    });

    test('the same sku on two lines answers 422 (lines are not merged)', async () => {
      const user = await newUser();
      const response = await call(svc(), 'POST', ORDERS, {
        token: user.token,
        headers: { 'idempotency-key': randomUUID() },
        payload: {
          items: [
            { sku: 'MUG-01', quantity: 1 },
            { sku: 'MUG-01', quantity: 3 },
          ],
        },
      });
      assert.equal(response.statusCode, 422);
      assert.equal(response.json().code, 'ORDERS_DUPLICATE_SKU');
    });

    test('without a token answers 401', async () => {
      const response = await call(svc(), 'POST', ORDERS, {
        headers: { 'idempotency-key': randomUUID() },
        payload: { items: [{ sku: 'MUG-01', quantity: 1 }] },
      });
      assert.equal(response.statusCode, 401);
    });
  });

  describe('Idempotency-Key', () => {
    test('the same key and body answer the same order again, and place one order', async () => {
      const user = await newUser();
      const key = randomUUID();
      const send = (payload: object) =>
        call(svc(), 'POST', ORDERS, {
          token: user.token,
          headers: { 'idempotency-key': key },
          payload,
        });
      const first = await send({
        items: [
          { sku: 'TEE-01', quantity: 1 },
          { sku: 'PIN-01', quantity: 3 },
        ],
      });
      // The same body with its keys in another order is the same request.
      const again = await send({
        items: [
          { quantity: 1, sku: 'TEE-01' },
          { quantity: 3, sku: 'PIN-01' },
        ],
      });
      assert.equal(first.statusCode, 201);
      assert.equal(again.statusCode, 201);
      assert.equal(again.headers['idempotent-replayed'], 'true');
      assert.deepEqual(again.json(), first.json());
      const list = await call(svc(), 'GET', ORDERS, { token: user.token });
      assert.equal(list.json().items.length, 1);
      assert.equal((await outboxEventsAbout(svc(), first.json().id)).length, 1);
    });

    test('the same key with another body answers 422', async () => {
      const user = await newUser();
      const key = randomUUID();
      const send = (quantity: number) =>
        call(svc(), 'POST', ORDERS, {
          token: user.token,
          headers: { 'idempotency-key': key },
          payload: { items: [{ sku: 'TEE-01', quantity }] },
        });
      assert.equal((await send(1)).statusCode, 201);
      const other = await send(2);
      assert.equal(other.statusCode, 422);
      assert.equal(other.json().code, 'ORDERS_IDEMPOTENCY_KEY_REUSED');
    });

    test('keys are per user: the same key from two users places two orders', async () => {
      const alice = await newUser();
      const bob = await newUser({ tenantId: alice.tenantId });
      const key = randomUUID();
      const payload = { items: [{ sku: 'MUG-01', quantity: 1 }] };
      const a = await call(svc(), 'POST', ORDERS, {
        token: alice.token,
        headers: { 'idempotency-key': key },
        payload,
      });
      const b = await call(svc(), 'POST', ORDERS, {
        token: bob.token,
        headers: { 'idempotency-key': key },
        payload,
      });
      assert.equal(a.statusCode, 201);
      assert.equal(b.statusCode, 201);
      assert.notEqual(a.json().id, b.json().id);
    });

    test('a key whose first request failed (unknown sku) is free for a corrected retry', async () => {
      const user = await newUser();
      const key = randomUUID();
      const send = (sku: string) =>
        call(svc(), 'POST', ORDERS, {
          token: user.token,
          headers: { 'idempotency-key': key },
          payload: { items: [{ sku, quantity: 1 }] },
        });
      assert.equal((await send('NOPE-1')).statusCode, 422);
      assert.equal((await send('MUG-01')).statusCode, 201);
    });

    test('a key past its lifetime is new again, and the sweep deletes expired keys', async () => {
      const user = await newUser();
      const key = randomUUID();
      const send = (quantity: number) =>
        call(svc(), 'POST', ORDERS, {
          token: user.token,
          headers: { 'idempotency-key': key },
          payload: { items: [{ sku: 'SOCK-01', quantity }] },
        });
      const first = await send(1);
      assert.equal(first.statusCode, 201);
      const db = database(svc()).db;
      const mine = () =>
        db
          .selectFrom('idempotency_keys')
          .select(['order_id'])
          .where('tenant_id', '=', user.tenantId)
          .where('user_id', '=', user.userId);
      // Aged past ORDERS_IDEMPOTENCY_KEY_TTL_HOURS (24 by default).
      await db
        .updateTable('idempotency_keys')
        .set({ created_at: new Date(Date.now() - 25 * 60 * 60 * 1000) })
        .where('tenant_id', '=', user.tenantId)
        .execute();
      const second = await send(2);
      assert.equal(second.statusCode, 201, 'another body is fine once the key expired');
      assert.notEqual(second.json().id, first.json().id);
      assert.deepEqual(await mine().execute(), [{ order_id: second.json().id }]);

      await db
        .updateTable('idempotency_keys')
        .set({ created_at: new Date(Date.now() - 25 * 60 * 60 * 1000) })
        .where('tenant_id', '=', user.tenantId)
        .execute();
      const swept = await expireIdempotencyKeys({
        database: database(svc()),
        idempotencyTtlMs: 24 * 60 * 60 * 1000,
        now: () => new Date(),
      } as OrdersDeps);
      assert.ok(swept >= 1);
      assert.deepEqual(await mine().execute(), []);
    });

    test('concurrent requests with one key place one order', async () => {
      const user = await newUser();
      const key = randomUUID();
      const payload = { items: [{ sku: 'BAG-01', quantity: 1 }] };
      const responses = await Promise.all(
        Array.from({ length: 5 }, () =>
          call(svc(), 'POST', ORDERS, {
            token: user.token,
            headers: { 'idempotency-key': key },
            payload,
          }),
        ),
      );
      // Each is the order (201) or "still in flight, retry" (409); never a second order.
      for (const response of responses)
        assert.ok([201, 409].includes(response.statusCode), response.body);
      const ids = new Set(responses.filter((r) => r.statusCode === 201).map((r) => r.json().id));
      assert.equal(ids.size, 1);
      const list = await call(svc(), 'GET', ORDERS, { token: user.token });
      assert.equal(list.json().items.length, 1);
    });

    test('while a request holds the key, another with it answers 409 with Retry-After', {
      skip: kind === 'pglite' ? 'PGlite runs one transaction at a time' : false,
    }, async () => {
      const user = await newUser();
      const key = randomUUID();
      const post = () =>
        call(svc(), 'POST', ORDERS, {
          token: user.token,
          headers: { 'idempotency-key': key },
          payload: { items: [{ sku: 'BAG-01', quantity: 1 }] },
        });
      let release: () => void = () => {};
      const held = new Promise<void>((resolve) => {
        release = resolve;
      });
      let holding: () => void = () => {};
      const taken = new Promise<void>((resolve) => {
        holding = resolve;
      });
      // Stands in for the first request with the key, in the middle of its transaction.
      const first = database(svc()).transaction(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtext('lattice.orders.idempotency'),
          ${lockId({ tenantId: user.tenantId, userId: user.userId }, key)}::int4)`.execute(trx);
        holding();
        await held;
      });
      await taken;
      const refused = await post();
      assert.equal(refused.statusCode, 409, refused.body);
      assert.equal(refused.headers['retry-after'], '1');
      release();
      await first;
      const placed = await post();
      assert.equal(placed.statusCode, 201, placed.body);
      assert.equal((await post()).json().id, placed.json().id);
    });
  });
}
