import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { answerName, MutableDiscovery, startFleet } from './support/fleet.ts';
import { buildGateway, json } from './support/upstream.ts';

type Gateway = Awaited<ReturnType<typeof buildGateway>>;

async function get(gateway: Gateway, url: string, authorization = gateway.authorization) {
  const res = await gateway.app.inject({ method: 'GET', url, headers: { authorization } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().instance as string;
}

describe('load balancing strategies', () => {
  test('round-robin spreads requests evenly over three instances', async (t) => {
    const fleet = await startFleet(t, 3);
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      { GATEWAY_LOAD_BALANCER: 'round-robin' },
    );

    for (let i = 0; i < 30; i++) await get(gateway, `/api/v1/orders/${i}`);

    assert.deepEqual(
      fleet.map((i) => i.hits),
      [10, 10, 10],
    );
  });

  test('least-outstanding sends fewer requests to the instance that answers slowly', async (t) => {
    const fleet = await startFleet(t, 3, (req, res, instance) => {
      // Far apart, so a loaded machine stretching the fast answers cannot blur the difference.
      const wait = instance.name === 'i1' ? 400 : 5;
      setTimeout(() => answerName(req, res, instance), wait);
    });
    const gateway = await buildGateway(t, { orders: fleet.map((i) => i.url) });

    // Eight clients in parallel, each sending requests one after another.
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < 16; i++) await get(gateway, `/api/v1/orders/${c}-${i}`);
      }),
    );

    const [slow, ...fast] = fleet.map((i) => i.hits);
    assert.equal((slow ?? 0) + fast.reduce((a, b) => a + b, 0), 128);
    // Round-robin would give each a third (about 43).
    for (const hits of fast)
      assert.ok((slow ?? 0) * 2 < hits, `slow ${slow} vs fast ${fast.join(', ')}`);
  });

  test('consistent hashing keeps each tenant on one instance and spreads tenants', async (t) => {
    const fleet = await startFleet(t, 3);
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      { GATEWAY_LOAD_BALANCER: 'consistent-hash', GATEWAY_HASH_KEY: 'tenant' },
    );

    const placement = new Map<string, string>();
    for (let tenant = 0; tenant < 24; tenant++) {
      const tid = `tenant-${tenant}`;
      const seen = new Set<string>();
      for (let i = 0; i < 4; i++) {
        // A new token (another user of the tenant) each time: the tenant decides, not the user.
        const token = `Bearer ${gateway.issuer.sign({ claims: { tid } })}`;
        seen.add(await get(gateway, `/api/v1/orders/${i}`, token));
      }
      assert.equal(seen.size, 1, `${tid} went to ${[...seen].join(', ')}`);
      placement.set(tid, [...seen][0] as string);
    }
    assert.equal(new Set(placement.values()).size, 3, 'every instance owns some tenants');
  });

  test('affinity survives a change of instances: only the tenants of the removed one move', async (t) => {
    const fleet = await startFleet(t, 3);
    const discovery = new MutableDiscovery({ orders: fleet.map((i) => i.url) });
    const gateway = await buildGateway(t, discovery, {
      GATEWAY_LOAD_BALANCER: 'consistent-hash',
    });
    const tokens = Array.from(
      { length: 30 },
      (_, n) => `Bearer ${gateway.issuer.sign({ claims: { tid: `t-${n}` } })}`,
    );
    const before = [];
    for (const token of tokens) before.push(await get(gateway, '/api/v1/orders/x', token));

    discovery.set('orders', [fleet[0]!.url, fleet[1]!.url]);
    const after = [];
    for (const token of tokens) after.push(await get(gateway, '/api/v1/orders/x', token));

    for (let n = 0; n < tokens.length; n++) {
      if (before[n] !== 'i3') assert.equal(after[n], before[n], `tenant t-${n} moved`);
      else assert.notEqual(after[n], 'i3');
    }
  });

  test('GATEWAY_ROUTES sets the balancer per route: a header keeps a route sticky', async (t) => {
    const fleet = await startFleet(t, 3);
    const gateway = await buildGateway(
      t,
      { orders: fleet.map((i) => i.url) },
      {
        GATEWAY_LOAD_BALANCER: 'round-robin',
        GATEWAY_ROUTES: JSON.stringify([
          {
            service: 'orders',
            path: '/api/v1/orders/carts/*',
            balancer: 'consistent-hash',
            hashKey: 'header:x-cart-id',
          },
        ]),
      },
    );

    const sticky = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const res = await gateway.app.inject({
        method: 'GET',
        url: `/api/v1/orders/carts/${i}`,
        headers: { authorization: gateway.authorization, 'x-cart-id': 'cart-42' },
      });
      sticky.add(res.json().instance);
    }
    const spread = new Set<string>();
    for (let i = 0; i < 6; i++) spread.add(await get(gateway, `/api/v1/orders/list/${i}`));

    assert.equal(sticky.size, 1);
    assert.equal(spread.size, 3);
  });

  test('an invalid GATEWAY_ROUTES stops the start, naming the key', async (t) => {
    await assert.rejects(
      buildGateway(t, {}, { GATEWAY_ROUTES: '[{"service":"orders","balancer":"random"}]' }),
      /GATEWAY_ROUTES/,
    );
    await assert.rejects(buildGateway(t, {}, { GATEWAY_ROUTES: '{' }), /GATEWAY_ROUTES/);
  });

  test('discovery is read per request: a new instance gets traffic at once', async (t) => {
    const fleet = await startFleet(t, 2);
    const discovery = new MutableDiscovery({ orders: [fleet[0]!.url] });
    const gateway = await buildGateway(t, discovery, { GATEWAY_LOAD_BALANCER: 'round-robin' });
    await get(gateway, '/api/v1/orders/1');

    discovery.set('orders', [fleet[0]!.url, fleet[1]!.url]);
    for (let i = 0; i < 4; i++) await get(gateway, `/api/v1/orders/${i}`);
    await sleep(1);

    assert.equal(fleet[1]!.hits, 2);
  });

  test('the gateway never routes to itself', async (t) => {
    const fleet = await startFleet(t, 1, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(t, { gateway: fleet[0]!.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/gateway/anything',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 404);
    assert.equal(fleet[0]!.hits, 0);
  });
});
