import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { answerName, eventually, startFleet } from './support/fleet.ts';
import { instanceView } from './support/ops.ts';
import { buildGateway, json, readBody } from './support/upstream.ts';

type Gateway = Awaited<ReturnType<typeof buildGateway>>;

function send(gateway: Gateway, method: 'GET' | 'PUT' | 'POST', url: string, payload?: string) {
  return gateway.app.inject({
    method,
    url,
    payload,
    headers: {
      authorization: gateway.authorization,
      ...(payload ? { 'content-type': 'application/json' } : {}),
    },
  });
}

/** Sends `count` GETs one after another; returns their statuses. */
async function getMany(gateway: Gateway, count: number, path = '/api/v1/orders/x') {
  const statuses: number[] = [];
  for (let i = 0; i < count; i++) statuses.push((await send(gateway, 'GET', path)).statusCode);
  return statuses;
}

const allOk = (statuses: number[]) => statuses.every((s) => s === 200);

describe('passive health', () => {
  test('a killed instance costs no idempotent request, is ejected, and gets traffic again once back', async (t) => {
    const fleet = await startFleet(t, 3);
    const [, victim] = fleet as [never, (typeof fleet)[0], never];
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      {
        GATEWAY_OUTLIER_FAILURES: '2',
        GATEWAY_OUTLIER_EJECTION_MS: '400',
        GATEWAY_RETRY_BACKOFF_MS: '0',
      },
    );
    assert.ok(allOk(await getMany(gateway, 9)));

    await victim.kill();
    const during = await getMany(gateway, 30);

    assert.deepEqual(
      during.filter((s) => s !== 200),
      [],
      'every GET answered 200 (retried on another instance)',
    );
    assert.equal((await instanceView(gateway, victim.url)).ejected, true);

    await victim.restart();
    const hitsBefore = victim.hits;
    await sleep(450);
    assert.ok(allOk(await getMany(gateway, 30)));
    assert.ok(victim.hits - hitsBefore >= 5, `the instance got ${victim.hits - hitsBefore} of 30`);
    assert.equal((await instanceView(gateway, victim.url)).ejected, false);
  });

  test('the circuit of an unreachable instance opens, stays open, then a probe closes it', async (t) => {
    const fleet = await startFleet(t, 3);
    const victim = fleet[0]!;
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      {
        GATEWAY_OUTLIER_FAILURES: '0',
        GATEWAY_CIRCUIT_FAILURES: '2',
        GATEWAY_CIRCUIT_OPEN_MS: '500',
        GATEWAY_RETRY_BACKOFF_MS: '0',
      },
    );

    await victim.kill();
    assert.ok(allOk(await getMany(gateway, 9)));
    assert.equal((await instanceView(gateway, victim.url)).circuit, 'open');

    // Back, but the circuit is still open: nothing is sent to it yet.
    await victim.restart();
    assert.ok(allOk(await getMany(gateway, 6)));
    assert.equal(victim.hits, 0);

    await sleep(550);
    assert.equal((await instanceView(gateway, victim.url)).circuit, 'half-open');
    assert.ok(allOk(await getMany(gateway, 9)));
    assert.ok(victim.hits >= 2, `the instance got ${victim.hits} of 9 once closed`);
    assert.equal((await instanceView(gateway, victim.url)).circuit, 'closed');
  });

  test('the last instance in rotation is never ejected: its 5xx answers pass through', async (t) => {
    const fleet = await startFleet(t, 1, (_req, res) => json(res, 500, { broken: true }));
    const gateway = await buildGateway(
      t,
      { orders: fleet[0]!.url },
      { GATEWAY_OUTLIER_FAILURES: '2' },
    );

    const statuses = await getMany(gateway, 6);

    assert.deepEqual(statuses, [500, 500, 500, 500, 500, 500]);
    assert.equal(fleet[0]!.hits, 6);
  });

  test('an instance whose readiness answers 503 (draining) gets no new requests until ready again', async (t) => {
    const fleet = await startFleet(t, 3);
    const draining = fleet[2]!;
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      { GATEWAY_HEALTH_CHECK_INTERVAL_MS: '50' },
    );

    draining.ready = false;
    await eventually(
      'the gateway sees it draining',
      async () => (await instanceView(gateway, draining.url)).health === 'draining',
    );
    const hits = draining.hits;
    assert.ok(allOk(await getMany(gateway, 12)));
    assert.equal(draining.hits, hits);

    draining.ready = true;
    await eventually(
      'the gateway sees it ready',
      async () => (await instanceView(gateway, draining.url)).health === 'ready',
    );
    assert.ok(allOk(await getMany(gateway, 12)));
    assert.ok(draining.hits > hits);
  });
});

describe('retries', () => {
  test('a PUT whose instance refused the connection is sent, body and all, to another', async (t) => {
    const fleet = await startFleet(t, 2);
    await fleet[0]!.kill();
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      { GATEWAY_LOAD_BALANCER: 'round-robin' },
    );

    const res = await send(gateway, 'PUT', '/api/v1/orders/7', '{"qty":3}');

    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { instance: 'i2', body: '{"qty":3}' });
  });

  test('a POST is never retried', async (t) => {
    const fleet = await startFleet(t, 2);
    await fleet[0]!.kill();
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      { GATEWAY_LOAD_BALANCER: 'round-robin' },
    );

    const res = await send(gateway, 'POST', '/api/v1/orders', '{"qty":3}');

    assert.equal(res.statusCode, 503);
    assert.equal(res.json().code, 'GATEWAY_UPSTREAM_DOWN');
    assert.equal(fleet[1]!.hits, 0);
  });

  test('a 503 is retried for a GET, but not for a PUT whose body was already sent', async (t) => {
    const fleet = await startFleet(t, 2, async (req, res, instance) => {
      if (instance.name === 'i1') {
        await readBody(req);
        json(res, 503, { instance: 'i1' });
      } else answerName(req, res, instance);
    });
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      { GATEWAY_LOAD_BALANCER: 'round-robin', GATEWAY_OUTLIER_FAILURES: '0' },
    );

    const get = await send(gateway, 'GET', '/api/v1/orders/1');
    const hitsOfI2 = fleet[1]!.hits;
    // The rotation is back on i1, which reads the body before it answers 503.
    const put = await send(gateway, 'PUT', '/api/v1/orders/1', '{"qty":1}');

    assert.equal(get.statusCode, 200);
    assert.equal(get.json().instance, 'i2');
    assert.equal(put.statusCode, 503);
    assert.equal(put.json().instance, 'i1');
    assert.equal(fleet[1]!.hits, hitsOfI2, 'a consumed body is never sent again');
  });

  test('the retry budget caps retries during an outage', async (t) => {
    const fleet = await startFleet(t, 3, (_req, res) => json(res, 503, { down: true }));
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      {
        GATEWAY_OUTLIER_FAILURES: '0',
        GATEWAY_RETRY_BACKOFF_MS: '0',
        GATEWAY_RETRIES: '2',
        GATEWAY_RETRY_BUDGET_RATIO: '0.2',
        GATEWAY_RETRY_BUDGET_MIN_PER_SECOND: '0',
      },
    );

    const statuses = await getMany(gateway, 50);

    assert.ok(statuses.every((s) => s === 503));
    const hits = fleet.reduce((sum, i) => sum + i.hits, 0);
    // Without a budget: 150 (three attempts each).
    assert.ok(hits >= 50 && hits <= 61, `upstreams were hit ${hits} times for 50 requests`);
    const metrics = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body;
    assert.match(
      metrics,
      /gateway_upstream_retries_total\{upstream="orders",outcome="budget_exhausted"[^}]*\} [1-9]/,
    );
  });
});

describe('timeouts and bulkhead', () => {
  test('GATEWAY_ROUTES sets a shorter timeout on one route only', async (t) => {
    const fleet = await startFleet(t, 1, (req, res, instance) => {
      if (req.url?.startsWith('/api/v1/reports/quick')) return; // never answers
      setTimeout(() => answerName(req, res, instance), 300);
    });
    const gateway = await buildGateway(
      t,
      { reports: fleet[0]!.url },
      {
        GATEWAY_ROUTES: JSON.stringify([
          { service: 'reports', path: '/api/v1/reports/quick*', timeoutMs: 100 },
        ]),
      },
    );

    const started = performance.now();
    const quick = await send(gateway, 'GET', '/api/v1/reports/quick/1');
    const elapsed = performance.now() - started;
    const slow = await send(gateway, 'GET', '/api/v1/reports/monthly');

    assert.equal(quick.statusCode, 504);
    // Far below the default 30 s: the route's 100 ms applied (undici checks timeouts on a
    // coarse timer, and a loaded machine adds more, so the bound leaves room for both).
    assert.ok(elapsed < 5_000, `answered after ${Math.round(elapsed)} ms`);
    assert.equal(slow.statusCode, 200);
  });

  test('a full bulkhead answers 503 problem+json with Retry-After at once', async (t) => {
    const release = Promise.withResolvers<void>();
    const fleet = await startFleet(t, 1, async (req, res, instance) => {
      await release.promise;
      answerName(req, res, instance);
    });
    const gateway = await buildGateway(
      t,
      { orders: fleet[0]!.url },
      { GATEWAY_MAX_CONCURRENT_PER_UPSTREAM: '2' },
    );

    const held = [
      send(gateway, 'GET', '/api/v1/orders/1'),
      send(gateway, 'GET', '/api/v1/orders/2'),
    ];
    await eventually('two requests upstream', () => fleet[0]!.hits === 2);
    const refused = await send(gateway, 'GET', '/api/v1/orders/3');
    release.resolve();
    const answered = await Promise.all(held);
    const after = await send(gateway, 'GET', '/api/v1/orders/4');

    assert.equal(refused.statusCode, 503);
    assert.match(String(refused.headers['content-type']), /^application\/problem\+json/);
    assert.equal(refused.json().code, 'GATEWAY_UPSTREAM_BUSY');
    assert.equal(refused.headers['retry-after'], '1');
    assert.deepEqual(
      answered.map((r) => r.statusCode),
      [200, 200],
    );
    assert.equal(after.statusCode, 200, 'slots are given back');
    assert.equal(fleet[0]!.hits, 3);
  });
});
