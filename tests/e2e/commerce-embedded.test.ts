// The order saga end to end in embedded mode (`npm start`): every service in one process, one
// PGlite, the in-process bus; requests through the gateway on real ports.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  type CloudEvent,
  type EmbeddedPlatform,
  portVariable,
  readServiceCatalog,
  spanStore,
  startEmbedded,
} from '@lattice/platform';
import { outboxRows } from '@lattice/platform/testing';
import {
  firstSku,
  orderUntil,
  placeOrder,
  register,
  settled,
  uniqueEmail,
} from './support/commerce.ts';
import * as stories from './support/commerce-scenarios.ts';
import { openEventStream } from './support/event-stream.ts';
import { expectOrderTrace } from './support/order-trace.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Away from the defaults and the other e2e files, below Linux's ephemeral port range.
const PORT_OFFSET = 22_000;
const PAYMENT_TIMEOUT_MS = 1_500;
// Above the flaky card's two transient failures, which must not open the circuit.
const BREAKER_FAILURES = 3;

describe('commerce saga, embedded mode', { timeout: 300_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lattice-commerce-'));
  const catalog = readServiceCatalog(root, {});
  const operatorEmail = uniqueEmail('operator');
  let platform: EmbeddedPlatform;
  let world: stories.CommerceWorld;

  before(async () => {
    platform = await startEmbedded(root, {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
      PLATFORM_ADMIN_EMAILS: operatorEmail,
      ORDERS_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS),
      PAYMENT_SANDBOX_SLOW_MS: String(PAYMENT_TIMEOUT_MS * 3),
      PAYMENTS_BREAKER_FAILURES: String(BREAKER_FAILURES),
      PAYMENTS_BREAKER_HALF_OPEN_MS: '1000',
      PAYMENTS_PROVIDER_BACKOFF_MS: '50',
      // The stories run the timeout job themselves, at the moment they choose.
      WORKER_SCHEDULE_ORDER_PAYMENT_TIMEOUTS: 'off',
      ...Object.fromEntries(
        catalog.map((e) => [portVariable(e.name), String(e.port + PORT_OFFSET)]),
      ),
    });
    const gateway = platform.urls.gateway!;
    const orders = platform.services.find((s) => s.name === 'orders')!;
    world = {
      gateway,
      sandbox: platform.urls['payment-sandbox']!,
      payments: platform.urls.payments!,
      customer: await register(gateway),
      operatorToken: (await register(gateway, operatorEmail)).token,
      placed: [],
      async republishPlaced(orderId) {
        const rows = await outboxRows(orders.context.db, orderId);
        const placed = rows.find((r) => r.type === 'lattice.orders.order.placed.v1');
        assert.ok(placed, `no order.placed in the orders outbox for ${orderId}`);
        const original = placed.event as CloudEvent;
        // A copy under a new id: the inbox cannot recognise it, the charge's key must.
        const copy = orders.context.events.create({
          type: original.type,
          subject: original.subject,
          tenantId: original.tenantid,
          data: original.data,
        });
        await orders.context.bus!.publish([copy]);
      },
    };
  });
  after(async () => {
    await platform?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('happy path: confirmed with one succeeded payment and one charge', () =>
    stories.happyPath(world));
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
  test('the confirmation reaches the customer live over SSE through the gateway, and Last-Event-ID resumes', async () => {
    const url = `${world.gateway}/api/v1/notifications/stream`;
    const auth = { authorization: `Bearer ${world.customer.token}` };
    const stream = await openEventStream(url, auth);
    try {
      assert.equal(stream.status, 200);
      assert.match(stream.contentType, /^text\/event-stream/);
      const sku = await firstSku(world.gateway, world.customer);
      const placed = await placeOrder(world.gateway, world.customer, sku, 'pm_card_ok');
      world.placed.push(placed.id);
      await orderUntil(world.gateway, world.customer, placed.id, settled);
      const confirmed = await stream.next((e) => e.data.includes('"order_confirmed"'));
      assert.ok(confirmed.id, 'each event carries its id for resuming');
      stream.close();

      // While disconnected, another order is cancelled; resuming from the last id seen
      // delivers it, and nothing from before that id again.
      const declined = await placeOrder(world.gateway, world.customer, sku, 'pm_card_declined');
      world.placed.push(declined.id);
      await orderUntil(world.gateway, world.customer, declined.id, settled);
      const resumed = await openEventStream(url, { ...auth, 'last-event-id': confirmed.id! });
      try {
        const seen: (string | undefined)[] = [];
        await resumed.next((e) => {
          seen.push(e.id);
          return e.data.includes('"order_cancelled"');
        });
        assert.ok(
          !seen.includes(confirmed.id),
          'the event before the resume point is not replayed',
        );
      } finally {
        resumed.close();
      }
    } finally {
      stream.close();
    }
  });
  test('one order is ONE trace: gateway, orders, relay, bus, payments, provider, saga, notifications', async () => {
    const traceId = await stories.placeTracedOrder(world);
    await expectOrderTrace(() => spanStore().spans(traceId), 30_000);
  });
  test('charges equal confirmed plus refunded orders, nothing left pending', () =>
    stories.moneyAddsUp(world));
  test("the tenant admin's analytics agree with the orders", () => stories.analyticsAgree(world));
});
