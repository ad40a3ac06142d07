import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import type { CloudEvent } from '@lattice/platform';
import { eventually } from '@lattice/platform/testing';
import {
  call,
  getOrder,
  newUser,
  type OrderBody,
  type OrdersService,
  orderWhen,
  outboxEventsAbout,
  paymentFailed,
  paymentRefunded,
  paymentSucceeded,
  placeOrder,
  type TestUser,
} from './support/harness.ts';

const GROUP = 'orders_payment-outcomes';

async function historyTypes(svc: OrdersService, user: TestUser, id: string): Promise<string[]> {
  const response = await call(svc, 'GET', `/api/v1/orders/${id}/events`, { token: user.token });
  return response.json().items.map((e: { type: string }) => e.type);
}

async function publish(svc: OrdersService, event: CloudEvent): Promise<void> {
  await svc.context.bus?.publish([event]);
}

/** Publishes raw, as a broker redelivery would bring the same message again. */
async function redeliver(svc: OrdersService, event: CloudEvent): Promise<void> {
  const subject = event.type.replace(/^lattice\./, '');
  await svc.bus.publishRaw(subject, JSON.stringify(event));
}

/**
 * Waits until a marker order of another user is confirmed: the consumer handles one subject
 * at a time but the group in arrival order, so everything published before it was handled.
 */
async function settle(svc: OrdersService): Promise<void> {
  const user = await newUser();
  const order = await placeOrder(svc, user);
  await publish(svc, paymentSucceeded({ order, user }));
  await orderWhen(svc, user, order.id, (o) => o.status === 'confirmed', 'the marker order');
}

export function sagaBehaviours(svc: () => OrdersService): void {
  describe('saga: payment outcomes', () => {
    test('payment.succeeded confirms the order, announced by order.confirmed.v1', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const paid = {
        ...paymentSucceeded({ order, user }),
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      };
      await publish(svc(), paid);
      const confirmed = await orderWhen(svc(), user, order.id, (o) => o.status === 'confirmed');
      assert.equal(confirmed.paymentId, paid.data.paymentId);
      assert.ok(confirmed.updatedAt >= order.updatedAt);

      const events = await outboxEventsAbout(svc(), order.id);
      const announced = events.find((e) => e.type === 'lattice.orders.order.confirmed.v1');
      assert.deepEqual(announced?.data, {
        orderId: order.id,
        tenantId: user.tenantId,
        customerId: user.userId,
        totalCents: order.totalCents,
        currency: 'EUR',
        paymentId: paid.data.paymentId,
      });
      assert.equal(announced?.traceparent?.slice(3, 35), paid.traceparent.slice(3, 35));
      assert.deepEqual(await historyTypes(svc(), user, order.id), [
        'OrderPlaced',
        'OrderConfirmed',
      ]);
    });

    for (const reason of [
      'payment_declined',
      'insufficient_funds',
      'payment_unavailable',
    ] as const) {
      test(`payment.failed (${reason}) cancels the order with that reason`, async () => {
        const user = await newUser();
        const order = await placeOrder(svc(), user);
        await publish(svc(), paymentFailed({ order, user }, reason));
        const cancelled = await orderWhen(svc(), user, order.id, (o) => o.status === 'cancelled');
        assert.equal(cancelled.cancellationReason, reason);
        assert.equal(cancelled.paymentId, undefined);
        const events = await outboxEventsAbout(svc(), order.id);
        assert.deepEqual(
          events.map((e) => e.type),
          ['lattice.orders.order.placed.v1', 'lattice.orders.order.cancelled.v1'],
        );
        assert.equal((events[1]?.data as { reason?: string } | undefined)?.reason, reason);
      });
    }

    test('a success for an order cancelled meanwhile requests its refund once and keeps it cancelled', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      await call(svc(), 'POST', `/api/v1/orders/${order.id}/cancel`, { token: user.token });
      const late = paymentSucceeded({ order, user });
      await publish(svc(), late);
      const after = await eventually('the refund request', async () => {
        const types = await historyTypes(svc(), user, order.id);
        return types.includes('RefundRequested') ? types : undefined;
      });
      assert.deepEqual(after, ['OrderPlaced', 'OrderCancelled', 'RefundRequested']);
      const current = await getOrder(svc(), user, order.id);
      assert.equal(current.status, 'cancelled');
      assert.equal(current.cancellationReason, 'cancelled_by_customer');
      assert.equal(current.paymentId, late.data.paymentId);

      // The same success again, under a new event id (the inbox cannot tell): still one refund.
      await publish(svc(), { ...late, id: randomUUID() });
      await settle(svc());
      const refunds = (await outboxEventsAbout(svc(), order.id)).filter(
        (e) => e.type === 'lattice.orders.order.refund-requested.v1',
      );
      assert.equal(refunds.length, 1);
      assert.deepEqual(refunds[0]?.data, {
        orderId: order.id,
        tenantId: user.tenantId,
        customerId: user.userId,
        totalCents: order.totalCents,
        currency: 'EUR',
        paymentId: late.data.paymentId,
        reason: 'cancelled_by_customer',
      });
    });

    test('payment.refunded is recorded in the history with refundedAt, once', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const paid = paymentSucceeded({ order, user });
      await publish(svc(), paid);
      await orderWhen(svc(), user, order.id, (o) => o.status === 'confirmed');
      await call(svc(), 'POST', `/api/v1/orders/${order.id}/cancel`, { token: user.token });
      const refunded = paymentRefunded(
        { order, user, paymentId: paid.data.paymentId },
        'cancelled_by_customer',
      );
      await publish(svc(), refunded);
      const done = await orderWhen(svc(), user, order.id, (o) => o.refundedAt !== undefined);
      assert.equal(done.status, 'cancelled');
      await publish(svc(), { ...refunded, id: randomUUID() });
      await settle(svc());
      assert.deepEqual(await historyTypes(svc(), user, order.id), [
        'OrderPlaced',
        'OrderConfirmed',
        'OrderCancelled',
        'RefundRequested',
        'PaymentRefunded',
      ]);
      assert.equal((await getOrder(svc(), user, order.id)).refundedAt, done.refundedAt);
    });

    test('a refund of a confirmed order (an admin refunding in payments) is recorded; it stays confirmed', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const paid = paymentSucceeded({ order, user });
      await publish(svc(), paid);
      await orderWhen(svc(), user, order.id, (o) => o.status === 'confirmed');
      await publish(
        svc(),
        paymentRefunded({ order, user, paymentId: paid.data.paymentId }, 'requested_by_admin'),
      );
      const refunded = await orderWhen(svc(), user, order.id, (o) => o.refundedAt !== undefined);
      assert.equal(refunded.status, 'confirmed');
      assert.deepEqual(await historyTypes(svc(), user, order.id), [
        'OrderPlaced',
        'OrderConfirmed',
        'PaymentRefunded',
      ]);
    });

    test('a redelivered or duplicated success changes nothing', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const paid = paymentSucceeded({ order, user });
      await publish(svc(), paid);
      await orderWhen(svc(), user, order.id, (o) => o.status === 'confirmed');
      await redeliver(svc(), paid);
      await publish(svc(), { ...paid, id: randomUUID() });
      await settle(svc());
      assert.deepEqual(await historyTypes(svc(), user, order.id), [
        'OrderPlaced',
        'OrderConfirmed',
      ]);
      assert.equal((await outboxEventsAbout(svc(), order.id)).length, 2);
    });

    test('a failure after the order was confirmed leaves it confirmed', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      await publish(svc(), paymentSucceeded({ order, user }));
      await orderWhen(svc(), user, order.id, (o) => o.status === 'confirmed');
      await publish(svc(), paymentFailed({ order, user }, 'payment_unavailable'));
      await settle(svc());
      assert.equal((await getOrder(svc(), user, order.id)).status, 'confirmed');
    });

    test('outcomes for an unknown order or naming another tenant are ignored', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const intruder = await newUser();
      await publish(svc(), paymentSucceeded({ order, user: intruder }));
      const ghost: OrderBody = { ...order, id: '0195f3a0-7b1c-7000-8000-0000000000ff' };
      await publish(svc(), paymentSucceeded({ order: ghost, user }));
      await publish(svc(), paymentSucceeded({ order: { ...order, id: 'not-a-uuid' }, user }));
      await settle(svc());
      assert.equal((await getOrder(svc(), user, order.id)).status, 'pending');
    });

    test('a malformed payment event is dead-lettered and the consumer keeps working', async () => {
      const user = await newUser();
      const order = await placeOrder(svc(), user);
      const before = svc().bus.deadLetters(GROUP).length;
      await svc().bus.publishRaw('payments.payment.succeeded.v1', '{"specversion":"1.0", nope');
      const good = paymentSucceeded({ order, user });
      const { paymentId: _, ...incomplete } = good.data;
      await svc().bus.publishRaw(
        'payments.payment.succeeded.v1',
        JSON.stringify({ ...good, id: randomUUID(), data: incomplete }),
      );
      const letters = await eventually('two dead letters', async () => {
        const fresh = svc().bus.deadLetters(GROUP).slice(before);
        return fresh.length >= 2 ? fresh : undefined;
      });
      assert.equal(letters.length, 2);
      assert.equal((await getOrder(svc(), user, order.id)).status, 'pending');
      await publish(svc(), good);
      await orderWhen(svc(), user, order.id, (o) => o.status === 'confirmed');
    });
  });
}
