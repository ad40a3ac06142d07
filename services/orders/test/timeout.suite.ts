import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { eventually } from '@lattice/platform/testing';
import {
  call,
  getOrder,
  newUser,
  type OrdersService,
  orderWhen,
  outboxEventsAbout,
  paymentSucceeded,
  placeOrder,
  serviceToken,
} from './support/harness.ts';

const EXPIRE = '/internal/orders/expire-pending';

async function expire(svc: OrdersService, payload?: object) {
  const response = await call(svc, 'POST', EXPIRE, {
    token: await serviceToken('worker'),
    ...(payload !== undefined ? { payload } : {}),
  });
  assert.equal(response.statusCode, 200, response.body);
  return response.json() as { expired: number };
}

export function timeoutBehaviours(svc: () => OrdersService): void {
  describe('payment timeout', () => {
    test('expire-pending cancels the pending orders older than asked with payment_timeout', async () => {
      // Earlier tests left pending orders behind: expire them first so the count below is ours.
      await expire(svc(), { olderThanMs: 0 });
      const user = await newUser();
      const stale = await placeOrder(svc(), user);
      const alsoStale = await placeOrder(svc(), user);
      const paid = await placeOrder(svc(), user);
      await svc().context.bus?.publish([paymentSucceeded({ order: paid, user })]);
      await orderWhen(svc(), user, paid.id, (o) => o.status === 'confirmed');

      assert.deepEqual(await expire(svc(), { olderThanMs: 0 }), { expired: 2 });
      for (const order of [stale, alsoStale]) {
        const current = await getOrder(svc(), user, order.id);
        assert.equal(current.status, 'cancelled');
        assert.equal(current.cancellationReason, 'payment_timeout');
        const cancelled = (await outboxEventsAbout(svc(), order.id)).at(-1);
        assert.equal(cancelled?.type, 'lattice.orders.order.cancelled.v1');
        assert.equal(
          (cancelled?.data as { reason?: string } | undefined)?.reason,
          'payment_timeout',
        );
      }
      assert.equal((await getOrder(svc(), user, paid.id)).status, 'confirmed');
      assert.deepEqual(await expire(svc(), { olderThanMs: 0 }), { expired: 0 }, 'idempotent');

      const metrics = (await call(svc(), 'GET', '/metrics')).body;
      const count = (pattern: RegExp) => Number(pattern.exec(metrics)?.[1] ?? Number.NaN);
      assert.ok(count(/^orders_placed_total\{[^}]*\} (\d+)$/m) >= 3, 'placed counter');
      assert.ok(count(/^orders_confirmed_total\{[^}]*\} (\d+)$/m) >= 1, 'confirmed counter');
      assert.ok(
        count(/^orders_cancelled_total\{[^}]*reason="payment_timeout"[^}]*\} (\d+)$/m) >= 2,
        'cancelled counter by reason',
      );
    });

    test('with no body (or {}) the configured timeout applies: fresh orders stay pending', async () => {
      const user = await newUser();
      const fresh = await placeOrder(svc(), user);
      assert.deepEqual(await expire(svc()), { expired: 0 });
      assert.deepEqual(await expire(svc(), {}), { expired: 0 });
      assert.equal((await getOrder(svc(), user, fresh.id)).status, 'pending');
    });

    test('a payment succeeding after the timeout is refunded (compensation)', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      await expire(svc(), { olderThanMs: 0 });
      const late = paymentSucceeded({ order, user });
      await svc().context.bus?.publish([late]);
      const refund = await eventually('the refund request', async () =>
        (await outboxEventsAbout(svc(), order.id)).find(
          (e) => e.type === 'lattice.orders.order.refund-requested.v1',
        ),
      );
      assert.deepEqual(refund.data, {
        orderId: order.id,
        tenantId: user.tenantId,
        customerId: user.userId,
        totalCents: order.totalCents,
        currency: 'EUR',
        paymentId: late.data.paymentId,
        reason: 'payment_timeout',
      });
      const current = await getOrder(svc(), user, order.id);
      assert.equal(current.status, 'cancelled');
      assert.equal(current.cancellationReason, 'payment_timeout');
    });

    test('expire-pending refuses user tokens, tokens for another service and bad bodies', async () => {
      const user = await newUser({ roles: ['admin', 'platform-admin'] });
      const asUser = await call(svc(), 'POST', EXPIRE, { token: user.token, payload: {} });
      assert.equal(asUser.statusCode, 401);
      const elsewhere = await call(svc(), 'POST', EXPIRE, {
        token: await serviceToken('worker', 'payments'),
        payload: {},
      });
      assert.equal(elsewhere.statusCode, 401);
      const anonymous = await call(svc(), 'POST', EXPIRE, { payload: {} });
      assert.equal(anonymous.statusCode, 401);
      const bad = await call(svc(), 'POST', EXPIRE, {
        token: await serviceToken('worker'),
        payload: { olderThanMs: -5 },
      });
      assert.equal(bad.statusCode, 400);
    });
  });
}
