import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  call,
  getOrder,
  newUser,
  type OrderBody,
  type OrdersService,
  orderWhen,
  outboxEventsAbout,
  paymentSucceeded,
  placeOrder,
  type TestUser,
} from './support/harness.ts';

const ORDERS = '/api/v1/orders';

async function pageIds(svc: OrdersService, user: TestUser, query: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 20; pages++) {
    const url: string = `${ORDERS}?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const response = await call(svc, 'GET', url, { token: user.token });
    assert.equal(response.statusCode, 200, response.body);
    const page = response.json() as { items: Array<{ id: string }>; nextCursor: string | null };
    ids.push(...page.items.map((item) => item.id));
    cursor = page.nextCursor;
    if (!cursor) return ids;
  }
  throw new Error('more pages than orders');
}

export function readBehaviours(svc: () => OrdersService): void {
  describe('reading orders', () => {
    test('GET /orders/:id answers the order as placed', async () => {
      const user = await newUser();
      const placed = await placeOrder(svc(), user);
      assert.deepEqual(await getOrder(svc(), user, placed.id), placed);
    });

    test("GET /orders pages through the caller's orders newest first, with a status filter", async () => {
      const user = await newUser();
      const placed: OrderBody[] = [];
      for (let i = 0; i < 5; i++) placed.push(await placeOrder(svc(), user));
      const newestFirst = placed.map((o) => o.id).reverse();

      assert.deepEqual(await pageIds(svc(), user, 'limit=2'), newestFirst);
      const first = await call(svc(), 'GET', `${ORDERS}?limit=2`, { token: user.token });
      assert.deepEqual(first.json().items[0], {
        id: newestFirst[0],
        status: 'pending',
        totalCents: placed[4]?.totalCents,
        currency: 'EUR',
        lineCount: 1,
        createdAt: placed[4]?.createdAt,
        updatedAt: placed[4]?.updatedAt,
      });

      const confirmedId = placed[1]?.id as string;
      await svc().context.bus?.publish([paymentSucceeded({ order: placed[1] as OrderBody, user })]);
      await orderWhen(svc(), user, confirmedId, (o) => o.status === 'confirmed');
      assert.deepEqual(await pageIds(svc(), user, 'status=confirmed&limit=1'), [confirmedId]);
      assert.deepEqual(
        await pageIds(svc(), user, 'status=pending&limit=3'),
        newestFirst.filter((id) => id !== confirmedId),
      );
      assert.deepEqual(await pageIds(svc(), user, 'status=cancelled'), []);
    });

    test('a malformed cursor or limit answers 400', async () => {
      const user = await newUser();
      const badCursor = await call(svc(), 'GET', `${ORDERS}?cursor=not-a-cursor`, {
        token: user.token,
      });
      assert.equal(badCursor.statusCode, 400);
      assert.equal(badCursor.json().code, 'ORDERS_INVALID_CURSOR');
      const badLimit = await call(svc(), 'GET', `${ORDERS}?limit=0`, { token: user.token });
      assert.equal(badLimit.statusCode, 400);
      const badStatus = await call(svc(), 'GET', `${ORDERS}?status=shipped`, { token: user.token });
      assert.equal(badStatus.statusCode, 400);
    });

    test('GET /orders/:id/events answers the history, oldest first', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user, {
        items: [{ sku: 'HOOD-01', quantity: 1 }],
      });
      await call(svc(), 'POST', `${ORDERS}/${order.id}/cancel`, { token: user.token });
      const response = await call(svc(), 'GET', `${ORDERS}/${order.id}/events`, {
        token: user.token,
      });
      assert.equal(response.statusCode, 200);
      const { items } = response.json();
      assert.deepEqual(
        items.map((e: { version: number; type: string }) => [e.version, e.type]),
        [
          [1, 'OrderPlaced'],
          [2, 'OrderCancelled'],
        ],
      );
      assert.equal(items[1].data.reason, 'cancelled_by_customer');
      assert.equal(items[0].data.totalCents, 5499);
    });

    test("another tenant's or another customer's order is 404 everywhere; a tenant admin reads it", async () => {
      const owner = await newUser();
      const colleague = await newUser({ tenantId: owner.tenantId });
      const stranger = await newUser();
      const twin = await newUser({ userId: owner.userId });
      const admin = await newUser({ tenantId: owner.tenantId, roles: ['admin'] });
      const foreignAdmin = await newUser({ roles: ['admin'] });
      const order = await placeOrder(svc(), owner);

      for (const other of [colleague, stranger, twin, foreignAdmin]) {
        for (const path of [`/${order.id}`, `/${order.id}/events`]) {
          const response = await call(svc(), 'GET', `${ORDERS}${path}`, { token: other.token });
          assert.equal(response.statusCode, 404, `${path} for another caller`);
          assert.equal(response.json().code, 'ORDERS_NOT_FOUND');
        }
        const cancel = await call(svc(), 'POST', `${ORDERS}/${order.id}/cancel`, {
          token: other.token,
        });
        assert.equal(cancel.statusCode, 404);
        const list = await call(svc(), 'GET', ORDERS, { token: other.token });
        assert.deepEqual(list.json().items, []);
      }

      assert.equal((await getOrder(svc(), admin, order.id)).id, order.id);
      const history = await call(svc(), 'GET', `${ORDERS}/${order.id}/events`, {
        token: admin.token,
      });
      assert.equal(history.statusCode, 200);
      // Reading is not acting: the admin may not cancel the customer's order.
      const adminCancel = await call(svc(), 'POST', `${ORDERS}/${order.id}/cancel`, {
        token: admin.token,
      });
      assert.equal(adminCancel.statusCode, 403);
      assert.equal(adminCancel.json().code, 'ORDERS_NOT_YOURS');
      // The admin's own list is the admin's own orders.
      const adminList = await call(svc(), 'GET', ORDERS, { token: admin.token });
      assert.deepEqual(adminList.json().items, []);
      assert.equal((await getOrder(svc(), owner, order.id)).status, 'pending');
    });

    test('an id that is not a uuid answers 400; an unknown one 404', async () => {
      const user = await newUser();
      const bad = await call(svc(), 'GET', `${ORDERS}/42`, { token: user.token });
      assert.equal(bad.statusCode, 400);
      const unknown = await call(svc(), 'GET', `${ORDERS}/0195f3a0-7b1c-7000-8000-000000000999`, {
        token: user.token,
      });
      assert.equal(unknown.statusCode, 404);
    });
  });

  describe('POST /orders/:id/cancel', () => {
    test('cancels a pending order by the customer, announced by order.cancelled.v1', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const response = await call(svc(), 'POST', `${ORDERS}/${order.id}/cancel`, {
        token: user.token,
      });
      assert.equal(response.statusCode, 200, response.body);
      const cancelled = response.json();
      assert.equal(cancelled.status, 'cancelled');
      assert.equal(cancelled.cancellationReason, 'cancelled_by_customer');
      assert.equal(cancelled.paymentId, undefined);
      assert.deepEqual(await getOrder(svc(), user, order.id), cancelled);

      const events = await outboxEventsAbout(svc(), order.id);
      assert.deepEqual(
        events.map((e) => e.type),
        ['lattice.orders.order.placed.v1', 'lattice.orders.order.cancelled.v1'],
      );
      assert.deepEqual(events[1]?.data, {
        orderId: order.id,
        tenantId: user.tenantId,
        customerId: user.userId,
        totalCents: order.totalCents,
        currency: 'EUR',
        reason: 'cancelled_by_customer',
      });
    });

    test('a confirmed order is cancelled and its payment refund requested', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const paid = paymentSucceeded({ order, user });
      await svc().context.bus?.publish([paid]);
      await orderWhen(svc(), user, order.id, (o) => o.status === 'confirmed');

      const response = await call(svc(), 'POST', `${ORDERS}/${order.id}/cancel`, {
        token: user.token,
      });
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.json().status, 'cancelled');
      assert.equal(response.json().paymentId, paid.data.paymentId);

      const events = await outboxEventsAbout(svc(), order.id);
      assert.deepEqual(
        events.map((e) => e.type),
        [
          'lattice.orders.order.placed.v1',
          'lattice.orders.order.confirmed.v1',
          'lattice.orders.order.cancelled.v1',
          'lattice.orders.order.refund-requested.v1',
        ],
      );
      assert.equal(
        (events[2]?.data as { paymentId?: string } | undefined)?.paymentId,
        paid.data.paymentId,
      );
      assert.deepEqual(events[3]?.data, {
        orderId: order.id,
        tenantId: user.tenantId,
        customerId: user.userId,
        totalCents: order.totalCents,
        currency: 'EUR',
        paymentId: paid.data.paymentId,
        reason: 'cancelled_by_customer',
      });
    });

    test('an already cancelled order answers 409 and records nothing more', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const cancel = () =>
        call(svc(), 'POST', `${ORDERS}/${order.id}/cancel`, { token: user.token });
      assert.equal((await cancel()).statusCode, 200);
      const again = await cancel();
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'ORDERS_ALREADY_CANCELLED');
      assert.equal((await outboxEventsAbout(svc(), order.id)).length, 2);
    });
  });
}
