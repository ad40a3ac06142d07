import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RouteAliases } from '../src/proxy/route-aliases.ts';
import { servicesView } from './support/ops.ts';
import { buildGateway, json, startUpstream } from './support/upstream.ts';

describe('route aliases (GATEWAY_ROUTE_ALIASES)', () => {
  test('by default /api/v1/products/... goes to orders, path and query unchanged', async (t) => {
    const orders = await startUpstream(t, (req, res) => json(res, 200, { url: req.url }));
    const gateway = await buildGateway(t, { orders: orders.url });

    const one = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/products/p-42?fields=name',
      headers: { authorization: gateway.authorization },
    });
    const list = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/products',
      headers: { authorization: gateway.authorization },
    });
    const own = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/orders/o-1',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(one.statusCode, 200);
    assert.deepEqual(one.json(), { url: '/api/v1/products/p-42?fields=name' });
    assert.deepEqual(list.json(), { url: '/api/v1/products' });
    assert.deepEqual(own.json(), { url: '/api/v1/orders/o-1' }, 'the service keeps its own name');
    assert.deepEqual(
      orders.seen.map((r) => r.url),
      ['/api/v1/products/p-42?fields=name', '/api/v1/products', '/api/v1/orders/o-1'],
    );
  });

  test('an alias needs a token like any route, checked before the upstream', async (t) => {
    const orders = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(t, { orders: orders.url });

    const res = await gateway.app.inject({ method: 'GET', url: '/api/v1/products' });

    assert.equal(res.statusCode, 401);
    assert.equal(orders.seen.length, 0);
  });

  test('a configured table replaces the default; an alias wins over a service of its name', async (t) => {
    const orders = await startUpstream(t, (_req, res) => json(res, 200, { from: 'orders' }));
    const catalog = await startUpstream(t, (_req, res) => json(res, 200, { from: 'catalog' }));
    const gateway = await buildGateway(
      t,
      { orders: orders.url, catalog: catalog.url },
      { GATEWAY_ROUTE_ALIASES: ' catalog = orders , goods=orders' },
    );
    const get = (url: string) =>
      gateway.app.inject({ method: 'GET', url, headers: { authorization: gateway.authorization } });

    const [viaCatalog, viaGoods, viaProducts] = await Promise.all([
      get('/api/v1/catalog/1'),
      get('/api/v1/goods/1'),
      get('/api/v1/products/1'),
    ]);

    assert.deepEqual(viaCatalog.json(), { from: 'orders' });
    assert.deepEqual(viaGoods.json(), { from: 'orders' });
    assert.equal(catalog.seen.length, 0);
    assert.equal(viaProducts.statusCode, 404, 'products is no longer an alias');
    assert.equal(viaProducts.json().code, 'GATEWAY_UNKNOWN_SERVICE');
  });

  test('an alias to a service discovery does not know answers 404 naming both', async (t) => {
    const gateway = await buildGateway(t, {});

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/products/1',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 404);
    assert.match(res.headers['content-type'] as string, /application\/problem\+json/);
    assert.match(res.json().detail, /products.*orders/);
  });

  test('none turns aliases off', async (t) => {
    const orders = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(
      t,
      { orders: orders.url },
      { GATEWAY_ROUTE_ALIASES: 'none' },
    );

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/products',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 404);
    assert.equal(orders.seen.length, 0);
  });

  test('the operator listing shows the table and each service its aliases', async (t) => {
    const orders = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const users = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(
      t,
      { orders: orders.url, users: users.url },
      { GATEWAY_ROUTE_ALIASES: 'products=orders,carts=orders' },
    );

    const view = await servicesView(gateway);

    assert.deepEqual(view.aliases, { products: 'orders', carts: 'orders' });
    const byName = Object.fromEntries(view.services.map((s) => [s.name, s.aliases]));
    assert.deepEqual(byName, { orders: ['products', 'carts'], users: [] });
  });

  test('an invalid table stops the start, naming the key and the entry', async (t) => {
    for (const [value, why] of [
      ['products', /GATEWAY_ROUTE_ALIASES/],
      ['none,products=orders', /GATEWAY_ROUTE_ALIASES/],
      ['products=orders=x', /GATEWAY_ROUTE_ALIASES/],
      ['Products=orders', /GATEWAY_ROUTE_ALIASES/],
      ['products=orders,products=users', /GATEWAY_ROUTE_ALIASES: "products=users" repeats/],
      ['orders=orders', /GATEWAY_ROUTE_ALIASES: "orders=orders" names the same service/],
      ['admin=gateway', /GATEWAY_ROUTE_ALIASES: "admin=gateway" may not involve the gateway/],
      ['gateway=orders', /GATEWAY_ROUTE_ALIASES: "gateway=orders" may not involve the gateway/],
    ] as const) {
      await assert.rejects(
        buildGateway(t, {}, { GATEWAY_ROUTE_ALIASES: value }),
        why,
        `${value} is refused`,
      );
    }
  });

  test('parse keeps the order and trims spaces', () => {
    const aliases = RouteAliases.parse(' a = x ,b=y,, ', 'gateway');
    assert.deepEqual(aliases.toJSON(), { a: 'x', b: 'y' });
    assert.equal(aliases.target('a'), 'x');
    assert.equal(aliases.target('x'), undefined);
    assert.deepEqual(aliases.of('x'), ['a']);
  });
});
