import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { describe, test } from 'node:test';
import { needs } from '@lattice/platform/testing';
import { eventually, startFleet } from './support/fleet.ts';
import { servicesView } from './support/ops.ts';
import { buildGateway, refusingOrigin } from './support/upstream.ts';

type Gateway = Awaited<ReturnType<typeof buildGateway>>;

/** An address no other test uses, so buckets shared through Redis start full. */
const randomIp = () => `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;

function get(gateway: Gateway, ip: string, authorization = gateway.authorization) {
  return gateway.app.inject({
    method: 'GET',
    url: '/api/v1/orders/x',
    headers: { authorization },
    remoteAddress: ip,
  });
}

async function statuses(gateway: Gateway, count: number, ip: string, authorization?: string) {
  const out: number[] = [];
  for (let i = 0; i < count; i++) out.push((await get(gateway, ip, authorization)).statusCode);
  return out;
}

const count = (list: number[], status: number) => list.filter((s) => s === status).length;

describe('rate limits in memory (embedded mode)', () => {
  test('a client address gets its burst, with RateLimit fields, then 429 problem+json with Retry-After', async (t) => {
    const fleet = await startFleet(t, 1);
    const gateway = await buildGateway(
      t,
      { orders: fleet[0]!.url },
      { GATEWAY_RATE_LIMIT_IP: '5/1m' },
    );
    const ip = randomIp();

    const first = await get(gateway, ip);
    const rest = await statuses(gateway, 4, ip);
    const refused = await get(gateway, ip);
    const otherClient = await get(gateway, randomIp());

    assert.equal(first.statusCode, 200);
    assert.equal(first.headers['ratelimit-limit'], '5');
    assert.equal(first.headers['ratelimit-remaining'], '4');
    assert.equal(first.headers['ratelimit-policy'], '5;w=60');
    assert.match(String(first.headers['ratelimit-reset']), /^\d+$/);
    assert.deepEqual(rest, [200, 200, 200, 200]);
    assert.equal(refused.statusCode, 429);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(refused.json().code, 'GATEWAY_RATE_LIMITED');
    assert.equal(refused.headers['ratelimit-remaining'], '0');
    // One token every 12 s.
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 12, `retry-after ${retryAfter}`);
    assert.equal(otherClient.statusCode, 200);
    assert.equal(fleet[0]!.hits, 6);
    const metrics = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(metrics, /gateway_rate_limit_rejections_total\{scope="ip"[^}]*\} 1/);
    assert.equal((await servicesView(gateway)).rateLimits.store, 'memory');
  });

  test('login is limited per address more strictly than the rest (10 per minute by default)', async (t) => {
    const fleet = await startFleet(t, 1);
    const gateway = await buildGateway(t, { auth: fleet[0]!.url, orders: fleet[0]!.url });
    const ip = randomIp();

    const logins: number[] = [];
    for (let i = 0; i < 12; i++) {
      const res = await gateway.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: '{}',
        headers: { 'content-type': 'application/json' },
        remoteAddress: ip,
      });
      logins.push(res.statusCode);
    }
    const other = await get(gateway, ip);

    assert.equal(count(logins, 200), 10);
    assert.equal(count(logins, 429), 2);
    assert.equal(other.statusCode, 200, 'other routes keep the global limit');
  });

  test('users and tenants have buckets of their own', async (t) => {
    const fleet = await startFleet(t, 1);
    const gateway = await buildGateway(
      t,
      { orders: fleet[0]!.url },
      { GATEWAY_RATE_LIMIT_USER: '3/1m', GATEWAY_RATE_LIMIT_TENANT: '5/1m' },
    );
    const tid = 'tenant-limited';
    const alice = `Bearer ${gateway.issuer.sign({ claims: { sub: 'alice', tid } })}`;
    const bob = `Bearer ${gateway.issuer.sign({ claims: { sub: 'bob', tid } })}`;
    const carol = `Bearer ${gateway.issuer.sign({ claims: { sub: 'carol', tid: 'elsewhere' } })}`;

    const ofAlice = await statuses(gateway, 4, randomIp(), alice);
    const ofBob = await statuses(gateway, 4, randomIp(), bob);
    const ofCarol = await statuses(gateway, 3, randomIp(), carol);

    assert.deepEqual(ofAlice, [200, 200, 200, 429], 'user: 3');
    assert.deepEqual(ofBob, [200, 200, 429, 429], 'tenant: 5 across its users');
    assert.deepEqual(ofCarol, [200, 200, 200]);
  });

  test('with every limit off there are no RateLimit fields', async (t) => {
    const fleet = await startFleet(t, 1);
    const gateway = await buildGateway(
      t,
      { orders: fleet[0]!.url },
      {
        GATEWAY_RATE_LIMIT_IP: 'off',
        GATEWAY_RATE_LIMIT_USER: 'off',
        GATEWAY_RATE_LIMIT_TENANT: 'off',
        GATEWAY_RATE_LIMIT_ROUTES: 'POST /api/v1/auth/login ip=off',
      },
    );

    const res = await get(gateway, randomIp());

    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['ratelimit-limit'], undefined);
    assert.equal((await servicesView(gateway)).rateLimits.store, 'off');
  });
});

describe('rate limits through Redis', () => {
  test('two gateways sharing Redis allow exactly the limit between them', {
    skip: needs('redis'),
  }, async (t) => {
    const fleet = await startFleet(t, 1);
    const env = { GATEWAY_RATE_LIMIT_STORE: 'redis', GATEWAY_RATE_LIMIT_IP: '10/1m' };
    const one = await buildGateway(t, { orders: fleet[0]!.url }, env);
    const two = await buildGateway(t, { orders: fleet[0]!.url }, env);
    for (const gateway of [one, two]) {
      await eventually(
        'Redis connected',
        async () => !(await servicesView(gateway)).rateLimits.degraded,
      );
    }
    const ip = randomIp();

    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(i % 2 === 0 ? one : two, ip)),
    );

    const allowed = answers.filter((r) => r.statusCode === 200);
    assert.equal(allowed.length, 10);
    assert.equal(answers.filter((r) => r.statusCode === 429).length, 20);
    assert.ok(allowed.some((r) => r.headers['ratelimit-remaining'] === '0'));
    assert.equal((await servicesView(one)).rateLimits.store, 'redis');
  });

  test('with Redis unreachable each gateway enforces the limits alone: degraded, never unlimited, still ready', async (t) => {
    const fleet = await startFleet(t, 1);
    const gateway = await buildGateway(
      t,
      { orders: fleet[0]!.url },
      {
        GATEWAY_RATE_LIMIT_STORE: 'redis',
        REDIS_URL: `redis://${new URL(await refusingOrigin()).host}`,
        GATEWAY_RATE_LIMIT_IP: '5/1m',
        GATEWAY_READY_REQUIRES_UPSTREAMS: 'false',
      },
    );
    const ip = randomIp();

    const answered = await statuses(gateway, 8, ip);
    const ready = await gateway.app.inject({ method: 'GET', url: '/health/ready' });
    const metrics = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body;

    assert.deepEqual(answered, [200, 200, 200, 200, 200, 429, 429, 429]);
    assert.equal(ready.statusCode, 200);
    assert.deepEqual((await servicesView(gateway)).rateLimits, { store: 'redis', degraded: true });
    assert.match(metrics, /gateway_rate_limit_degraded\{[^}]*\} 1/);
  });
});
