// The order saga end to end in distributed mode (`npm run start:distributed`): one process per
// service on PostgreSQL and NATS JetStream, under the supervisor. The same stories as embedded
// mode, then crashes: orders (and its outbox relay) and payments SIGKILLed mid-flow.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { type CloudEvent, JetStreamBus } from '@lattice/platform';
import { needs, testPostgresUrl } from '@lattice/platform/testing';
import pg from 'pg';
import {
  chargesFor,
  firstSku,
  type OrderView,
  orderUntil,
  placeOrder,
  register,
  settled,
  uniqueEmail,
} from './support/commerce.ts';
import * as stories from './support/commerce-scenarios.ts';
import { type DistributedPlatform, startDistributed } from './support/distributed-platform.ts';
import { expectOrderTrace } from './support/order-trace.ts';
import { type OtlpReceiver, startOtlpReceiver } from './support/otlp-receiver.ts';

// Ports away from the defaults, so a developer's running system does not collide.
const PORT_OFFSET = 10_000;
const PAYMENT_TIMEOUT_MS = 3_000;
const BREAKER_FAILURES = 3;
const NATS_URL = process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222';

function ordersDatabaseUrl(): string {
  const url = new URL(testPostgresUrl());
  url.pathname = '/lattice_orders';
  return url.toString();
}

const skip = needs('postgres') || needs('nats');

describe('commerce saga, distributed mode', { skip, timeout: 600_000 }, () => {
  const operatorEmail = uniqueEmail('operator');
  let platform: DistributedPlatform;
  let bus: JetStreamBus;
  let ordersDb: pg.Client;
  let world: stories.CommerceWorld;
  let otlp: OtlpReceiver;

  before(async () => {
    otlp = await startOtlpReceiver();
    platform = await startDistributed({
      portOffset: PORT_OFFSET,
      env: {
        PLATFORM_ADMIN_EMAILS: operatorEmail,
        ORDERS_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
        PAYMENT_SANDBOX_SLOW_MS: String(PAYMENT_TIMEOUT_MS * 2),
        PAYMENTS_BREAKER_FAILURES: String(BREAKER_FAILURES),
        PAYMENTS_BREAKER_HALF_OPEN_MS: '1000',
        PAYMENTS_PROVIDER_BACKOFF_MS: '50',
        PAYMENTS_PROVIDER_TIMEOUT_MS: '8000',
        PAYMENTS_PROVIDER_RETRIES: '2',
        // Above one call with its retries; short, so a killed instance's claims are taken over soon.
        PAYMENTS_LEASE_MS: '30000',
        WORKER_SCHEDULE_ORDER_PAYMENT_TIMEOUTS: 'off',
        // Every process exports its spans to the test's receiver.
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.endpoint,
      },
    });
    bus = await JetStreamBus.connect({ servers: NATS_URL, name: 'commerce-e2e' });
    ordersDb = new pg.Client({ connectionString: ordersDatabaseUrl() });
    await ordersDb.connect();
    const gateway = platform.urls.gateway!;
    world = {
      gateway,
      sandbox: platform.urls['payment-sandbox']!,
      payments: platform.urls.payments!,
      customer: await register(gateway),
      operatorToken: (await register(gateway, operatorEmail)).token,
      placed: [],
      async republishPlaced(orderId) {
        const { rows } = await ordersDb.query<{ event: CloudEvent }>(
          `SELECT event FROM orders.outbox WHERE aggregate = $1 AND type = 'lattice.orders.order.placed.v1'`,
          [orderId],
        );
        const original = rows[0]?.event;
        assert.ok(original, `no order.placed in the orders outbox for ${orderId}`);
        await bus.publish([{ ...original, id: crypto.randomUUID() }]);
      },
    };
  });
  after(async () => {
    await ordersDb?.end();
    await bus?.close();
    await platform?.stop();
    await otlp?.close();
  });

  test('happy path: confirmed with one succeeded payment and one charge', () =>
    stories.happyPath(world));
  test('one order is ONE trace across the processes: gateway to notifications, exported over OTLP', async () => {
    const traceId = await stories.placeTracedOrder(world);
    await expectOrderTrace(() => otlp.spans(traceId), 60_000);
  });
  test('create is idempotent by key; another body under the key is 422; no key is 400', () =>
    stories.idempotentCreate(world));
  test('declined and insufficient funds: cancelled with the reason, nothing charged', () =>
    stories.declined(world));
  test('flaky card: confirmed after retries with exactly one charge', () => stories.flaky(world));
  test('a customer cancelling a confirmed order gets refunded', () =>
    stories.customerCancelsConfirmed(world));
  test('the same order.placed delivered again under new ids ends in one charge', () =>
    stories.duplicateEvents(world));
  test('pending past the timeout: cancelled by the worker, the late success refunded', () =>
    stories.paymentTimeout(world, PAYMENT_TIMEOUT_MS));
  test('provider down: orders cancelled, circuit opens, and closes when it is back', () =>
    stories.providerDown(world, BREAKER_FAILURES));

  for (const victim of ['payments', 'orders'] as const) {
    test(`${victim} killed with SIGKILL mid-flow: restarted, every order settles, money adds up`, async () => {
      const sku = await firstSku(world.gateway, world.customer);
      // No flaky card here: many at once would open the circuit, which is another story.
      const methods = ['pm_card_ok', 'pm_card_ok', 'pm_card_ok', 'pm_card_declined'];
      const burst: Promise<OrderView>[] = [];
      for (let i = 0; i < 24; i++) {
        burst.push(placeOrder(world.gateway, world.customer, sku, methods[i % methods.length]!));
        if (i === 11) {
          // Half the burst is in the database, some of it mid-saga.
          await Promise.all(burst);
          await platform.kill(victim);
        }
      }
      // Orders placed while orders itself restarts are refused (5xx at the gateway), not lost:
      // only those that were answered 201 count.
      const placed = (await Promise.allSettled(burst)).flatMap((r) =>
        r.status === 'fulfilled' ? [r.value] : [],
      );
      assert.ok(placed.length >= 12, `only ${placed.length} orders placed`);
      world.placed.push(...placed.map((o) => o.id));
      await platform.ready(victim, 90_000);
      await platform.ready('gateway');
      assert.match(platform.output(), new RegExp(`${victim} exited .*restarting`));

      let confirmed = 0;
      let charged = 0;
      for (const order of placed) {
        const done = await orderUntil(world.gateway, world.customer, order.id, settled, 120_000);
        assert.ok(['confirmed', 'cancelled'].includes(done.status));
        if (done.status === 'confirmed') confirmed += 1;
        charged += (await chargesFor(world.sandbox, order.id)).filter(
          (c) => c.status === 'succeeded',
        ).length;
      }
      assert.equal(charged, confirmed, 'one charge per confirmed order, none for the others');
      const declined = placed.filter((o) => o.paymentMethod === 'pm_card_declined').length;
      assert.equal(confirmed, placed.length - declined, 'every order that could be paid was');
    });
  }

  test('charges equal confirmed plus refunded orders, nothing left pending', async () => {
    // Compensations still in flight (refunds) get a moment before the final count.
    await delay(1_000);
    await stories.moneyAddsUp(world);
  });
});
