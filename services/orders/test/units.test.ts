// The Order aggregate on its own: pure functions, no database.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  cancelByCustomer,
  expireOrder,
  fold,
  type Order,
  OrderAlreadyCancelled,
  type OrderEvent,
  paymentFailed,
  paymentRefunded,
  paymentSucceeded,
  placeOrder,
} from '../src/domain/order.ts';

const at = new Date('2030-01-01T10:00:00.000Z');
const later = new Date('2030-01-01T10:05:00.000Z');

function placed(): Order {
  const events = placeOrder(undefined, {
    orderId: 'o1',
    tenantId: 't1',
    customerId: 'u1',
    items: [
      { sku: 'MUG-01', name: 'Mug', quantity: 2, unitPriceCents: 1299 },
      { sku: 'PIN-01', name: 'Pin', quantity: 1, unitPriceCents: 699 },
    ],
    currency: 'EUR',
    paymentMethod: 'pm_card_ok',
    at,
  });
  return fold(undefined, events) as Order;
}

function apply(order: Order, events: OrderEvent[]): Order {
  return fold(order, events) as Order;
}

describe('Order aggregate', () => {
  test('placing totals the lines and starts pending at version 1', () => {
    const order = placed();
    assert.equal(order.status, 'pending');
    assert.equal(order.totalCents, 2 * 1299 + 699);
    assert.equal(order.version, 1);
    assert.equal(order.createdAt, at.toISOString());
    assert.deepEqual(placeOrder(order, { ...order, orderId: 'o1', at } as never), []);
  });

  test('a success confirms a pending order once', () => {
    const confirmed = apply(placed(), paymentSucceeded(placed(), 'p1', later));
    assert.equal(confirmed.status, 'confirmed');
    assert.equal(confirmed.paymentId, 'p1');
    assert.equal(confirmed.updatedAt, later.toISOString());
    assert.equal(confirmed.version, 2);
    assert.deepEqual(paymentSucceeded(confirmed, 'p1', later), []);
    assert.deepEqual(paymentFailed(confirmed, 'payment_declined', later), []);
    assert.deepEqual(expireOrder(confirmed, later), []);
  });

  test('a failure cancels a pending order with its reason', () => {
    const events = paymentFailed(placed(), 'insufficient_funds', later);
    const cancelled = apply(placed(), events);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.cancellationReason, 'insufficient_funds');
    assert.deepEqual(paymentFailed(cancelled, 'payment_declined', later), []);
  });

  test('a success after cancellation requests one refund with the cancellation reason', () => {
    const expired = apply(placed(), expireOrder(placed(), later));
    const events = paymentSucceeded(expired, 'p-late', later);
    assert.deepEqual(events, [
      {
        type: 'RefundRequested',
        data: { paymentId: 'p-late', reason: 'payment_timeout', at: later.toISOString() },
      },
    ]);
    const compensated = apply(expired, events);
    assert.equal(compensated.status, 'cancelled');
    assert.equal(compensated.paymentId, 'p-late');
    assert.deepEqual(paymentSucceeded(compensated, 'p-late', later), []);
  });

  test('the customer cancels: pending simply, confirmed with a refund, cancelled refused', () => {
    const pending = placed();
    assert.deepEqual(
      cancelByCustomer(pending, later).map((e) => e.type),
      ['OrderCancelled'],
    );
    const confirmed = apply(pending, paymentSucceeded(pending, 'p1', later));
    const events = cancelByCustomer(confirmed, later);
    assert.deepEqual(
      events.map((e) => [e.type, (e.data as { paymentId?: string }).paymentId]),
      [
        ['OrderCancelled', 'p1'],
        ['RefundRequested', 'p1'],
      ],
    );
    const cancelled = apply(confirmed, events);
    assert.deepEqual(cancelled.refundsRequested, ['p1']);
    assert.throws(() => cancelByCustomer(cancelled, later), OrderAlreadyCancelled);
  });

  test('a refund is recorded once, with refundedAt', () => {
    const confirmed = apply(placed(), paymentSucceeded(placed(), 'p1', at));
    const cancelled = apply(confirmed, cancelByCustomer(confirmed, at));
    const refunded = apply(
      cancelled,
      paymentRefunded(cancelled, 'p1', 'cancelled_by_customer', later),
    );
    assert.equal(refunded.refundedAt, later.toISOString());
    assert.deepEqual(paymentRefunded(refunded, 'p1', 'cancelled_by_customer', later), []);
  });

  test('an event before OrderPlaced is a corrupt stream', () => {
    assert.throws(() =>
      fold(undefined, [{ type: 'OrderConfirmed', data: { paymentId: 'p', at: at.toISOString() } }]),
    );
  });
});
