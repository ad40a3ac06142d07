import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { call, newUser, type OrdersService, placeOrder } from './support/harness.ts';

const PRODUCTS = '/api/v1/products';

const uniqueSku = () => `T-${randomBytes(4).toString('hex').toUpperCase()}`;

export function catalogBehaviours(svc: () => OrdersService): void {
  describe('catalog', () => {
    test('GET /products answers the twelve seeded products by SKU, in EUR', async () => {
      const user = await newUser();
      const response = await call(svc(), 'GET', PRODUCTS, { token: user.token });
      assert.equal(response.statusCode, 200);
      const { items } = response.json();
      assert.equal(items.length, 12);
      const skus = items.map((p: { sku: string }) => p.sku);
      assert.deepEqual(skus, [...skus].sort());
      assert.deepEqual(
        items.find((p: { sku: string }) => p.sku === 'MUG-01'),
        {
          sku: 'MUG-01',
          name: 'Lattice mug',
          description: 'Stoneware mug, 350 ml, dishwasher safe',
          priceCents: 1299,
          currency: 'EUR',
        },
      );
      for (const product of items) assert.equal(product.currency, 'EUR');
    });

    test('GET /products without a token answers 401', async () => {
      const response = await call(svc(), 'GET', PRODUCTS);
      assert.equal(response.statusCode, 401);
    });

    test("a tenant admin adds a product: the tenant sees and orders it, other tenants don't", async () => {
      const admin = await newUser({ roles: ['admin'] });
      const member = await newUser({ tenantId: admin.tenantId });
      const outsider = await newUser();
      const sku = uniqueSku();
      const product = { sku, name: 'Team mug', description: 'Our logo', priceCents: 1500 };
      const created = await call(svc(), 'POST', PRODUCTS, { token: admin.token, payload: product });
      assert.equal(created.statusCode, 201, created.body);
      assert.deepEqual(created.json(), { ...product, currency: 'EUR' });

      const seen = await call(svc(), 'GET', PRODUCTS, { token: member.token });
      assert.equal(seen.json().items.length, 13);
      assert.ok(seen.json().items.some((p: { sku: string }) => p.sku === sku));
      const notSeen = await call(svc(), 'GET', PRODUCTS, { token: outsider.token });
      assert.equal(notSeen.json().items.length, 12);

      const order = await placeOrder(svc(), member, { items: [{ sku, quantity: 3 }] });
      assert.equal(order.totalCents, 4500);
      const refused = await call(svc(), 'POST', '/api/v1/orders', {
        token: outsider.token,
        headers: { 'idempotency-key': `k-${sku}` },
        payload: { items: [{ sku, quantity: 1 }] },
      });
      assert.equal(refused.statusCode, 422);

      // Another tenant may use the same SKU for its own product.
      const otherAdmin = await newUser({ roles: ['admin'] });
      const theirs = await call(svc(), 'POST', PRODUCTS, {
        token: otherAdmin.token,
        payload: { ...product, priceCents: 900 },
      });
      assert.equal(theirs.statusCode, 201);
    });

    test('a SKU refused as unknown can be ordered once the tenant adds it', async () => {
      const admin = await newUser({ roles: ['admin'] });
      const sku = uniqueSku();
      const order = (key: string) =>
        call(svc(), 'POST', '/api/v1/orders', {
          token: admin.token,
          headers: { 'idempotency-key': key },
          payload: {
            items: [
              { sku, quantity: 2 },
              { sku: 'MUG-01', quantity: 1 },
            ],
          },
        });
      const unknown = await order(`unknown-${sku}`);
      assert.equal(unknown.statusCode, 422, unknown.body);
      const product = { sku, name: 'Late mug', description: 'Added after', priceCents: 700 };
      const created = await call(svc(), 'POST', PRODUCTS, { token: admin.token, payload: product });
      assert.equal(created.statusCode, 201, created.body);
      const placed = await order(`known-${sku}`);
      assert.equal(placed.statusCode, 201, placed.body);
      assert.equal(placed.json().totalCents, 2 * 700 + 1299);
    });

    test('a SKU taken in the tenant or globally answers 409', async () => {
      const admin = await newUser({ roles: ['admin'] });
      const sku = uniqueSku();
      const add = (payload: object) =>
        call(svc(), 'POST', PRODUCTS, { token: admin.token, payload });
      assert.equal((await add({ sku, name: 'First', priceCents: 100 })).statusCode, 201);
      const again = await add({ sku, name: 'Second', priceCents: 200 });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().code, 'ORDERS_PRODUCT_EXISTS');
      const global = await add({ sku: 'MUG-01', name: 'Our mug', priceCents: 1 });
      assert.equal(global.statusCode, 409);
    });

    test('POST /products needs the admin role (403) and a valid body (400)', async () => {
      const member = await newUser();
      const forbidden = await call(svc(), 'POST', PRODUCTS, {
        token: member.token,
        payload: { sku: uniqueSku(), name: 'Nope', priceCents: 100 },
      });
      assert.equal(forbidden.statusCode, 403);

      const admin = await newUser({ roles: ['admin'] });
      const invalid = [
        { name: 'No SKU', priceCents: 100 },
        { sku: 'lower-case', name: 'Bad SKU', priceCents: 100 },
        { sku: uniqueSku(), name: '', priceCents: 100 },
        { sku: uniqueSku(), name: 'Negative', priceCents: -1 },
        { sku: uniqueSku(), name: 'Fraction', priceCents: 1.5 },
        { sku: uniqueSku(), name: 'Dollars', priceCents: 100, currency: 'USD' },
        { sku: uniqueSku(), name: 'Extra', priceCents: 100, stock: 3 },
      ];
      for (const payload of invalid) {
        const response = await call(svc(), 'POST', PRODUCTS, { token: admin.token, payload });
        assert.equal(response.statusCode, 400, JSON.stringify(payload));
        assert.equal(response.json().code, 'VALIDATION_FAILED');
      }
      const list = await call(svc(), 'GET', PRODUCTS, { token: admin.token });
      assert.equal(list.json().items.length, 12, 'nothing half-written');
    });
  });
}
