// Live fan-out across instances: two instances on one PostgreSQL database, as replicas run in
// distributed mode. One only serves streams (NOTIFICATIONS_PROCESSING=false: it neither
// consumes nor publishes), so whatever its stream receives was published by the other and
// crossed over PostgreSQL's LISTEN/NOTIFY. Each has a bus of its own and only the processor's
// carries the events: the shared NATS streams hold every earlier run's events, which a fresh
// consumer group would read first, and the property here is the database's, not the bus's.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { createService, EmbeddedBus, type ServiceInstance } from '@lattice/platform';
import { createTestDatabase, eventually, needs, testTokenIssuer } from '@lattice/platform/testing';
import { service } from '../src/app.ts';
import { serviceTokenEndpoint } from './support/auth-stand-in.ts';
import { events, FAST_LOOPS, type TestUser } from './support/harness.ts';
import { openStream } from './support/sse-client.ts';

async function sentInApp(instance: ServiceInstance): Promise<number> {
  const metrics = await instance.app.inject({ url: '/metrics' });
  let total = 0;
  for (const match of metrics.body.matchAll(
    /^notifications_sent_total\{[^}]*channel="in_app"[^}]*\} (\d+)/gm,
  ))
    total += Number(match[1]);
  return total;
}

test('two instances on one PostgreSQL database: a notification published by one instance reaches a stream open on another', {
  skip: needs('postgres'),
  timeout: 60_000,
}, async (t) => {
  const cleanups: Array<() => unknown> = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const issuer = await testTokenIssuer();
  cleanups.push(() => issuer.close());
  const tokens = await serviceTokenEndpoint(issuer);
  cleanups.push(() => tokens.close());
  const database = await createTestDatabase('notifications', 'postgres');
  cleanups.push(() => database.cleanup());

  const env = {
    LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
    AUTH_JWKS_URL: issuer.jwksUrl,
    // No users service: the defaults apply, which this test does not look at.
    SERVICE_URLS: `auth=${tokens.url},users=http://127.0.0.1:9`,
    ...FAST_LOOPS,
  };
  const streamsBus = new EmbeddedBus();
  const processorBus = new EmbeddedBus();
  cleanups.push(() => streamsBus.close());
  cleanups.push(() => processorBus.close());
  const streams = await createService(service, {
    env: { ...env, NOTIFICATIONS_PROCESSING: 'false' },
    database: database.database,
    embeddedBus: streamsBus,
  });
  cleanups.push(() => streams.close());
  const processor = await createService(service, {
    env,
    database: database.database,
    embeddedBus: processorBus,
  });
  cleanups.push(() => processor.close());
  const streamsUrl = await streams.listen(0);

  const userId = randomUUID();
  const tenantId = randomUUID();
  const user: TestUser = {
    userId,
    tenantId,
    name: 'Lin',
    email: `lin-${randomBytes(4).toString('hex')}@example.test`,
    token: await issuer.sign({ userId, tenantId, roles: ['member'] }),
  };
  // The first token check fetches the key set, which may time out on a loaded machine.
  await eventually(
    'the key set',
    async () => {
      const list = await streams.app.inject({
        url: '/api/v1/notifications',
        headers: { authorization: `Bearer ${user.token}` },
      });
      return list.statusCode === 200 ? true : undefined;
    },
    30_000,
  );
  const stream = await openStream(streamsUrl, user.token);
  cleanups.push(() => stream.close());
  assert.equal(stream.status, 200);
  await stream.until('the stream to open', () => stream.comments.includes('connected'));

  const published = [events.orderConfirmed(user), events.orderCancelled(user, 'payment_declined')];
  await processorBus.publish(published);
  await stream.until(
    'both notifications on the other instance',
    () => stream.events.length === 2,
    20_000,
  );
  assert.deepEqual(stream.events.map((event) => event.data.type).sort(), [
    'order_cancelled',
    'order_confirmed',
  ]);
  assert.equal(await sentInApp(streams), 0, 'the stream-only instance published nothing');
  assert.equal(await sentInApp(processor), 2);

  // A stream never ends by itself: shutting the instance down ends it instead of waiting on it.
  await streams.close();
  await stream.until('the stream ended by the shutdown', () => stream.ended);
});
