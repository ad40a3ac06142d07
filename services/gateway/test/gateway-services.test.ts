import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startFleet } from './support/fleet.ts';
import { servicesView } from './support/ops.ts';
import { buildGateway } from './support/upstream.ts';

describe('GET /api/v1/gateway/services', () => {
  test('is for platform admins only', async (t) => {
    const gateway = await buildGateway(t, {});
    const admin = `Bearer ${gateway.issuer.sign({ claims: { roles: ['admin'] } })}`;

    const anonymous = await gateway.app.inject({ method: 'GET', url: '/api/v1/gateway/services' });
    const tenantAdmin = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/gateway/services',
      headers: { authorization: admin },
    });

    assert.equal(anonymous.statusCode, 401);
    assert.equal(tenantAdmin.statusCode, 403);
  });

  test('lists each service with its instances, health, circuit and in-flight counts', async (t) => {
    const fleet = await startFleet(t, 2);
    const gateway = await buildGateway(t, {
      orders: fleet.map((i) => i.url),
      gateway: 'http://127.0.0.1:1',
    });
    await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/orders/1',
      headers: { authorization: gateway.authorization },
    });

    const view = await servicesView(gateway);

    assert.deepEqual(view.rateLimits, { store: 'memory', degraded: false });
    assert.deepEqual(
      view.services.map((s) => s.name),
      ['orders'],
      'the gateway itself is not an upstream',
    );
    const [orders] = view.services;
    assert.equal(orders?.inFlight, 0);
    assert.deepEqual(
      orders?.instances.map((i) => i.url),
      fleet.map((i) => i.url),
    );
    for (const instance of orders?.instances ?? []) {
      assert.equal(instance.health, 'unknown', 'active checks are off in this test');
      assert.equal(instance.circuit, 'closed');
      assert.equal(instance.ejected, false);
      assert.equal(instance.inFlight, 0);
      assert.equal(instance.usable, true);
    }
  });

  test('the gateway metrics are part of /metrics', async (t) => {
    const fleet = await startFleet(t, 1);
    const gateway = await buildGateway(t, { orders: fleet[0]!.url });
    await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/orders/1',
      headers: { authorization: gateway.authorization },
    });

    const text = (await gateway.app.inject({ method: 'GET', url: '/metrics' })).body;

    assert.match(text, /http_server_requests_total/, "the kit's own metrics are still there");
    assert.match(
      text,
      /gateway_upstream_duration_seconds_count\{[^}]*upstream="orders"[^}]*status="2xx"[^}]*\} 1/,
    );
    assert.match(text, /gateway_upstream_circuit_state\{[^}]*upstream="orders"[^}]*\} 0/);
    assert.match(text, /gateway_upstream_in_flight\{/);
    assert.match(text, /gateway_rate_limit_degraded\{[^}]*\} 0/);
  });
});
