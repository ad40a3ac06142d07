import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { call, type Fixture, newCustomer, orderPlaced, outcomeOf } from './support/harness.ts';

export function apiBehaviours(fx: () => Fixture): void {
  describe('payments API', () => {
    test("a payment is visible to its customer and the tenant's admins, to nobody else", async () => {
      const customer = await newCustomer(fx());
      const colleague = await newCustomer(fx(), { tenantId: customer.tenantId });
      const admin = await newCustomer(fx(), { tenantId: customer.tenantId, roles: ['admin'] });
      const outsider = await newCustomer(fx(), { roles: ['admin'] });
      const placed = orderPlaced(customer);
      const orderId = (placed.data as { orderId: string }).orderId;
      await fx().payments.context.bus!.publish([placed]);
      const { paymentId } = await outcomeOf(fx(), orderId, 'succeeded');

      const own = await call(fx(), 'GET', `/${paymentId}`, customer.token);
      assert.equal(own.statusCode, 200);
      const body = own.json();
      assert.deepEqual(Object.keys(body).sort(), [
        'amountCents',
        'createdAt',
        'currency',
        'id',
        'orderId',
        'status',
        'updatedAt',
      ]);
      assert.equal((await call(fx(), 'GET', `/${paymentId}`, admin.token)).statusCode, 200);
      for (const other of [colleague, outsider]) {
        const hidden = await call(fx(), 'GET', `/${paymentId}`, other.token);
        assert.equal(hidden.statusCode, 404);
        assert.equal(hidden.json().code, 'PAYMENTS_NOT_FOUND');
        const listed = await call(fx(), 'GET', `?orderId=${orderId}`, other.token);
        assert.deepEqual(listed.json().items, []);
      }
    });

    test("lists page through the tenant's payments, newest first", async () => {
      const customer = await newCustomer(fx());
      const admin = await newCustomer(fx(), { tenantId: customer.tenantId, roles: ['admin'] });
      const orders = [orderPlaced(customer), orderPlaced(customer), orderPlaced(customer)];
      for (const placed of orders) {
        await fx().payments.context.bus!.publish([placed]);
        await outcomeOf(fx(), (placed.data as { orderId: string }).orderId, 'succeeded');
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor ? `?limit=2&cursor=${cursor}` : '?limit=2';
        const page = (await call(fx(), 'GET', query, admin.token)).json();
        seen.push(...page.items.map((p: { orderId: string }) => p.orderId));
        cursor = page.nextCursor;
      } while (cursor);
      assert.deepEqual(seen, orders.map((o) => (o.data as { orderId: string }).orderId).reverse());
    });

    test('bad requests are problem+json 4xx', async () => {
      const customer = await newCustomer(fx());
      const anonymous = await call(fx(), 'GET', `/${randomUUID()}`);
      assert.equal(anonymous.statusCode, 401);
      for (const [path, code] of [
        ['/not-a-uuid', 'VALIDATION_FAILED'],
        ['?limit=0', 'VALIDATION_FAILED'],
        ['?limit=101', 'VALIDATION_FAILED'],
        ['?cursor=garbage', 'PAYMENTS_INVALID_CURSOR'],
      ] as const) {
        const response = await call(fx(), 'GET', path, customer.token);
        assert.equal(response.statusCode, 400, path);
        assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
        assert.equal(response.json().code, code, path);
      }
      const refund = await call(fx(), 'POST', '/not-a-uuid/refund', customer.token);
      assert.ok(refund.statusCode === 400 || refund.statusCode === 403, 'never a 5xx');
    });
  });
}
