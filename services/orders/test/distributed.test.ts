// The saga in distributed mode: two orders instances on one PostgreSQL database and NATS
// JetStream. Payment successes reach the consumer group (shared by both instances) while the
// other instance expires the same orders: every order must end in one consistent story,
// whichever command wins each race — the optimistic concurrency check and the retried
// decisions are what make it so.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createService, serviceAudience } from '@lattice/platform';
import {
  createTestDatabase,
  deleteConsumerGroups,
  eventually,
  infrastructure,
  needs,
  testPostgresUrl,
  testTokenIssuer,
} from '@lattice/platform/testing';
import type { Kysely } from 'kysely';
import { service } from '../src/app.ts';
import { readStream } from '../src/data/event-store.ts';
import type { OrdersDb } from '../src/data/schema.ts';

const ORDERS = 10;

test('distributed: payments racing the timeout across two instances leave every order consistent', {
  skip: needs('postgres') || needs('nats'),
  timeout: 360_000,
}, async (t) => {
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const issuer = await testTokenIssuer();
  cleanups.push(() => issuer.close());
  const database = await createTestDatabase('orders', 'postgres');
  cleanups.push(() => database.cleanup());
  const natsUrl = infrastructure.find((entry) => entry.name === 'nats')?.url ?? '';
  // Private consumer groups: another run on the same NATS must not take these events.
  const groupPrefix = `or${process.pid}${randomBytes(3).toString('hex')}-`;
  cleanups.push(() => deleteConsumerGroups(natsUrl, groupPrefix));
  const env = {
    LATTICE_MODE: 'distributed',
    EVENT_GROUP_PREFIX: groupPrefix,
    POSTGRES_URL: testPostgresUrl(),
    NATS_URL: natsUrl,
    LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
    AUTH_JWKS_URL: issuer.jwksUrl,
    SERVICE_URLS: 'auth=http://127.0.0.1:9',
    ORDERS_SNAPSHOT_EVERY: '2',
  };
  const first = await createService(service, { env, database: database.database });
  cleanups.push(() => first.close());
  const second = await createService(service, { env, database: database.database });
  cleanups.push(() => second.close());
  const db = database.database.db as Kysely<OrdersDb>;

  const user = { userId: randomUUID(), tenantId: randomUUID(), roles: ['member'] };
  const token = await issuer.sign(user);
  const ids: string[] = [];
  for (let i = 0; i < ORDERS; i++) {
    const placed = await (i % 2 === 0 ? first : second).app.inject({
      method: 'POST',
      url: '/api/v1/orders',
      headers: { authorization: `Bearer ${token}`, 'idempotency-key': randomUUID() },
      payload: { items: [{ sku: 'MUG-01', quantity: 1 + i }] },
    });
    assert.equal(placed.statusCode, 201, placed.body);
    ids.push(placed.json().id);
  }

  // Each order's payment succeeds, twice (a redelivery under a new id), while the second
  // instance runs the timeout job on the same orders.
  const successes = ids.map((orderId) => ({
    specversion: '1.0' as const,
    id: randomUUID(),
    source: '/lattice/payments',
    type: 'lattice.payments.payment.succeeded.v1',
    time: new Date().toISOString(),
    subject: orderId,
    tenantid: user.tenantId,
    datacontenttype: 'application/json' as const,
    data: {
      paymentId: `pay_${orderId}`,
      orderId,
      tenantId: user.tenantId,
      customerId: user.userId,
      amountCents: 1299,
      currency: 'EUR',
    },
  }));
  const serviceToken = await issuer.sign(
    {},
    { sub: 'service:worker', aud: serviceAudience('orders') },
  );
  const publishTwice = (events: typeof successes) =>
    first.context.bus?.publish([...events, ...events.map((e) => ({ ...e, id: randomUUID() }))]);
  const half = ORDERS / 2;
  // The first half is paid before the timeout job runs; the second half races it.
  await publishTwice(successes.slice(0, half));
  await eventually(
    'the first half confirmed',
    async () => {
      const confirmed = await db
        .selectFrom('order_list')
        .select('order_id')
        .where('order_id', 'in', ids.slice(0, half))
        .where('status', '=', 'confirmed')
        .execute();
      return confirmed.length === half ? true : undefined;
    },
    // A fresh consumer group reads the PAYMENTS stream from its start: on a NATS that kept
    // other runs' events this takes a while, and none of them names an order here.
    150_000,
  );
  const [, expiry] = await Promise.all([
    publishTwice(successes.slice(half)),
    second.app.inject({
      method: 'POST',
      url: '/internal/orders/expire-pending',
      headers: { authorization: `Bearer ${serviceToken}` },
      payload: { olderThanMs: 0 },
    }),
  ]);
  assert.equal(expiry.statusCode, 200, expiry.body);

  // Wait until every order is settled: confirmed, or expired and its late payment refunded.
  const stories = await eventually(
    'every order to settle',
    async () => {
      const all = await Promise.all(ids.map((id) => readStream(db, id)));
      const types = all.map((stream) => stream.map((stored) => stored.event.type).join(' '));
      const settled = types.every(
        (story) =>
          story === 'OrderPlaced OrderConfirmed' ||
          story === 'OrderPlaced OrderCancelled RefundRequested',
      );
      return settled ? all : undefined;
    },
    150_000,
  );

  let expired = 0;
  for (const stream of stories) {
    const last = stream.at(-1)?.event;
    if (last?.type === 'RefundRequested') {
      expired++;
      assert.equal(last.data.reason, 'payment_timeout');
      assert.equal(last.data.paymentId, `pay_${stream[0]?.streamId}`);
    }
  }
  assert.equal(expiry.json().expired, expired, 'the job reports the orders it cancelled');
  assert.ok(expired <= ORDERS - half, 'orders paid before the job stay confirmed');
  t.diagnostic(`${expired} of ${ORDERS} orders expired before their payment, the rest confirmed`);

  // The read models agree with the streams, whichever instance wrote them.
  const rows = await db
    .selectFrom('order_detail')
    .select(['order_id', 'status', 'cancellation_reason', 'version'])
    .where('order_id', 'in', ids)
    .execute();
  for (const row of rows) {
    const stream = stories.find((s) => s[0]?.streamId === row.order_id) ?? [];
    assert.equal(row.version, stream.length);
    assert.equal(row.status, stream.length === 2 ? 'confirmed' : 'cancelled');
  }
  // Exactly one announcement per change: the outbox holds each order's events once.
  const announced = await db
    .selectFrom('outbox')
    .select(['aggregate', 'type'])
    .where('aggregate', 'in', ids)
    .execute();
  const expected = stories.reduce((sum, stream) => sum + stream.length, 0);
  assert.equal(announced.length, expected);
});
