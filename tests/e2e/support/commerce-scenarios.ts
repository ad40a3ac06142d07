// The order saga's acceptance stories, told the same way in both run modes. Each takes the
// gateway's URL, the sandbox's URL (its ledger is the truth about money moved), and what only
// the mode can do (republish an event, run the worker's job).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { newTraceparent } from '@lattice/platform/testing';
import {
  type Customer,
  call,
  chargesFor,
  firstSku,
  metricValue,
  type OrderView,
  orderUntil,
  paymentsFor,
  placeOrder,
  setOutage,
  settled,
} from './commerce.ts';

export interface CommerceWorld {
  gateway: string;
  sandbox: string;
  payments: string;
  customer: Customer;
  /** A platform admin's access token (runs the worker's jobs). */
  operatorToken: string;
  /** Publishes the order's `order.placed` event again, under a new event id. */
  republishPlaced(orderId: string): Promise<void>;
  /** Every order the stories placed, for the closing money check. */
  placed: string[];
}

async function order(world: CommerceWorld, paymentMethod: string): Promise<OrderView> {
  const sku = await firstSku(world.gateway, world.customer);
  const placed = await placeOrder(world.gateway, world.customer, sku, paymentMethod);
  world.placed.push(placed.id);
  return placed;
}

const succeeded = <C extends { status: string }>(charges: C[]) =>
  charges.filter((c) => c.status === 'succeeded');

export async function happyPath(world: CommerceWorld): Promise<void> {
  const placed = await order(world, 'pm_card_ok');
  const done = await orderUntil(world.gateway, world.customer, placed.id, settled);
  assert.equal(done.status, 'confirmed', JSON.stringify(done));
  assert.ok(done.paymentId);
  const payments = await paymentsFor(world.gateway, world.customer, placed.id);
  assert.deepEqual(
    payments.map((p) => [p.id, p.status]),
    [[done.paymentId, 'succeeded']],
  );
  assert.equal(succeeded(await chargesFor(world.sandbox, placed.id)).length, 1);
}

export async function idempotentCreate(world: CommerceWorld): Promise<void> {
  const sku = await firstSku(world.gateway, world.customer);
  const key = randomUUID();
  const first = await placeOrder(world.gateway, world.customer, sku, 'pm_card_ok', key);
  world.placed.push(first.id);
  const again = await call<OrderView>(world.gateway, 'POST', '/api/v1/orders', {
    token: world.customer.token,
    headers: { 'idempotency-key': key },
    body: { items: [{ sku, quantity: 2 }], paymentMethod: 'pm_card_ok' },
  });
  assert.ok([200, 201].includes(again.status), JSON.stringify(again.body));
  assert.equal(again.body.id, first.id, 'the same key and body answer the same order');
  const other = await call(world.gateway, 'POST', '/api/v1/orders', {
    token: world.customer.token,
    headers: { 'idempotency-key': key },
    body: { items: [{ sku, quantity: 3 }], paymentMethod: 'pm_card_ok' },
  });
  assert.equal(other.status, 422, JSON.stringify(other.body));
  const missing = await call(world.gateway, 'POST', '/api/v1/orders', {
    token: world.customer.token,
    body: { items: [{ sku, quantity: 1 }] },
  });
  assert.equal(missing.status, 400);
  assert.match(missing.headers.get('content-type') ?? '', /application\/problem\+json/);
  await orderUntil(world.gateway, world.customer, first.id, settled);
  assert.equal(succeeded(await chargesFor(world.sandbox, first.id)).length, 1, 'one charge');
}

export async function declined(world: CommerceWorld): Promise<void> {
  for (const [method, reason] of [
    ['pm_card_declined', 'payment_declined'],
    ['pm_card_insufficient_funds', 'insufficient_funds'],
  ] as const) {
    const placed = await order(world, method);
    const done = await orderUntil(world.gateway, world.customer, placed.id, settled);
    assert.equal(done.status, 'cancelled', JSON.stringify(done));
    assert.equal(done.cancellationReason, reason);
    const payments = await paymentsFor(world.gateway, world.customer, placed.id);
    assert.deepEqual(
      payments.map((p) => [p.status, p.failureReason]),
      [['failed', reason]],
    );
    assert.equal(succeeded(await chargesFor(world.sandbox, placed.id)).length, 0, 'not charged');
  }
}

export async function flaky(world: CommerceWorld): Promise<void> {
  const placed = await order(world, 'pm_card_flaky');
  const done = await orderUntil(world.gateway, world.customer, placed.id, settled);
  assert.equal(done.status, 'confirmed', JSON.stringify(done));
  const charges = await chargesFor(world.sandbox, placed.id);
  assert.equal(succeeded(charges).length, 1, 'confirmed after retries with exactly one charge');
}

export async function customerCancelsConfirmed(world: CommerceWorld): Promise<void> {
  const placed = await order(world, 'pm_card_ok');
  await orderUntil(world.gateway, world.customer, placed.id, settled);
  const cancelled = await call<OrderView>(
    world.gateway,
    'POST',
    `/api/v1/orders/${placed.id}/cancel`,
    { token: world.customer.token },
  );
  assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  const done = await orderUntil(world.gateway, world.customer, placed.id, (o) =>
    Boolean(o.refundedAt),
  );
  assert.equal(done.status, 'cancelled');
  assert.equal(done.cancellationReason, 'cancelled_by_customer');
  const [payment] = await paymentsFor(world.gateway, world.customer, placed.id);
  assert.equal(payment?.status, 'refunded');
  const charges = succeeded(await chargesFor(world.sandbox, placed.id));
  assert.equal(charges.length, 1);
  assert.equal(charges[0]?.refunded, true, 'the money went back');
  const again = await call(world.gateway, 'POST', `/api/v1/orders/${placed.id}/cancel`, {
    token: world.customer.token,
  });
  assert.equal(again.status, 409, 'cancelling twice is refused');
}

export async function duplicateEvents(world: CommerceWorld): Promise<void> {
  const placed = await order(world, 'pm_card_ok');
  await world.republishPlaced(placed.id);
  await world.republishPlaced(placed.id);
  const done = await orderUntil(world.gateway, world.customer, placed.id, settled);
  assert.equal(done.status, 'confirmed');
  // Give the copies time to be consumed before counting.
  await delay(1_500);
  assert.equal(succeeded(await chargesFor(world.sandbox, placed.id)).length, 1, 'one charge');
  assert.equal((await paymentsFor(world.gateway, world.customer, placed.id)).length, 1);
}

function runJob(world: CommerceWorld, job: string) {
  return call<{ outcome?: string; detail?: string }>(
    world.gateway,
    'POST',
    `/api/v1/worker/jobs/${job}/run`,
    { token: world.operatorToken },
  );
}

/** Needs ORDERS_PAYMENT_TIMEOUT_MS below PAYMENT_SANDBOX_SLOW_MS, and the job not on a schedule. */
export async function paymentTimeout(world: CommerceWorld, timeoutMs: number): Promise<void> {
  const placed = await order(world, 'pm_card_slow');
  await delay(timeoutMs + 300);
  let run = await runJob(world, 'order-payment-timeouts');
  // A 503 with Retry-After (the worker's first fetch of the signing keys timed out on a busy
  // machine) asks the client to come back; an operator's console would.
  for (let i = 0; i < 3 && run.status === 503; i++) {
    await delay(1_000 * Number(run.headers.get('retry-after') ?? 1));
    run = await runJob(world, 'order-payment-timeouts');
  }
  assert.ok([200, 202].includes(run.status), JSON.stringify(run.body));
  const cancelled = await orderUntil(world.gateway, world.customer, placed.id, settled);
  assert.equal(cancelled.status, 'cancelled', JSON.stringify(cancelled));
  assert.equal(cancelled.cancellationReason, 'payment_timeout');
  // The slow charge still succeeds at the provider: compensation refunds it.
  const refunded = await orderUntil(world.gateway, world.customer, placed.id, (o) =>
    Boolean(o.refundedAt),
  );
  assert.equal(refunded.status, 'cancelled');
  const charges = succeeded(await chargesFor(world.sandbox, placed.id));
  assert.equal(charges.length, 1);
  assert.equal(charges[0]?.refunded, true);
}

/** Needs PAYMENTS_BREAKER_FAILURES small and PAYMENTS_BREAKER_HALF_OPEN_MS short. */
export async function providerDown(world: CommerceWorld, breakerFailures: number): Promise<void> {
  await setOutage(world.sandbox, true);
  try {
    const orders: OrderView[] = [];
    for (let i = 0; i < breakerFailures + 1; i++) orders.push(await order(world, 'pm_card_ok'));
    for (const placed of orders) {
      const done = await orderUntil(world.gateway, world.customer, placed.id, settled, 60_000);
      assert.equal(done.status, 'cancelled', JSON.stringify(done));
      assert.equal(done.cancellationReason, 'payment_unavailable');
    }
    assert.equal(
      await metricValue(world.payments, 'payments_provider_circuit_state'),
      2,
      'the circuit is open',
    );
  } finally {
    await setOutage(world.sandbox, false);
  }
  // Once the provider is back, the half-open probe succeeds and orders are paid again.
  let confirmed: OrderView | undefined;
  for (let attempt = 0; attempt < 10 && !confirmed; attempt++) {
    const placed = await order(world, 'pm_card_ok');
    const done = await orderUntil(world.gateway, world.customer, placed.id, settled, 60_000);
    if (done.status === 'confirmed') confirmed = done;
    else await delay(1_000);
  }
  assert.ok(confirmed, 'an order is confirmed again after the outage');
  assert.equal(await metricValue(world.payments, 'payments_provider_circuit_state'), 0);
}

/** Money check over every order placed: charges equal confirmed plus refunded, none pending. */
export async function moneyAddsUp(world: CommerceWorld): Promise<void> {
  let charged = 0;
  let expected = 0;
  for (const id of world.placed) {
    const done = await orderUntil(world.gateway, world.customer, id, settled, 60_000);
    const charges = succeeded(await chargesFor(world.sandbox, id));
    charged += charges.length;
    if (done.status === 'confirmed' || done.refundedAt) expected += 1;
    assert.ok(charges.length <= 1, `order ${id} was charged ${charges.length} times`);
    if (done.status === 'cancelled' && charges.length === 1) {
      assert.ok(charges[0]?.refunded || done.refundedAt, `cancelled order ${id} kept its money`);
    }
  }
  assert.equal(charged, expected);
}

interface Summary {
  signups: number;
  ordersConfirmed: number;
  ordersCancelled: number;
  revenue: { currency: string; ordersConfirmed: number; revenueCents: number }[];
}

/**
 * The tenant admin's analytics agree with the orders themselves: confirmed and cancelled counts
 * and revenue, as the events reached the analytics service.
 */
export async function analyticsAgree(world: CommerceWorld): Promise<void> {
  const orders: OrderView[] = [];
  for (const id of world.placed) {
    orders.push(await orderUntil(world.gateway, world.customer, id, settled, 60_000));
  }
  const confirmed = orders.filter((o) => o.status === 'confirmed');
  // Confirmed at some point: still confirmed, or cancelled by the customer afterwards (a late
  // payment for an order that had timed out is refunded without the order being confirmed).
  const confirmedEver = orders.filter(
    (o) => o.status === 'confirmed' || o.cancellationReason === 'cancelled_by_customer',
  );
  const expected = {
    signups: 1,
    ordersConfirmed: confirmedEver.length,
    ordersCancelled: orders.filter((o) => o.status === 'cancelled').length,
  };
  const from = new Date(Date.now() - 2 * 3_600_000).toISOString();
  const to = new Date(Date.now() + 3_600_000).toISOString();
  let summary: Summary | undefined;
  const deadline = Date.now() + 30_000;
  // The read model follows the events a moment later.
  for (;;) {
    const reply = await call<Summary>(
      world.gateway,
      'GET',
      `/api/v1/analytics/summary?from=${from}&to=${to}`,
      { token: world.customer.token },
    );
    assert.equal(reply.status, 200, JSON.stringify(reply.body));
    summary = reply.body;
    const now = {
      signups: summary.signups,
      ordersConfirmed: summary.ordersConfirmed,
      ordersCancelled: summary.ordersCancelled,
    };
    if (JSON.stringify(now) === JSON.stringify(expected) || Date.now() > deadline) {
      assert.deepEqual(now, expected);
      break;
    }
    await delay(250);
  }
  // Revenue counts every confirmation, including orders refunded later.
  const revenue = summary.revenue.find((r) => r.currency === 'EUR');
  assert.equal(
    revenue?.revenueCents ?? 0,
    confirmedEver.reduce((sum, o) => sum + o.totalCents, 0),
  );
  assert.ok(confirmed.length > 0);
}

/** Places an order under a trace the test starts; resolves with that trace's id. */
export async function placeTracedOrder(world: CommerceWorld): Promise<string> {
  const { traceId, traceparent } = newTraceparent();
  const sku = await firstSku(world.gateway, world.customer);
  const response = await fetch(`${world.gateway}/api/v1/orders`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${world.customer.token}`,
      'content-type': 'application/json',
      'idempotency-key': randomUUID(),
      traceparent,
    },
    body: JSON.stringify({ items: [{ sku, quantity: 1 }], paymentMethod: 'pm_card_ok' }),
  });
  assert.equal(response.status, 201);
  world.placed.push(((await response.json()) as { id: string }).id);
  return traceId;
}
