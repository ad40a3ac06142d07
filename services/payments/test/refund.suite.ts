import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';

import {
  type Customer,
  call,
  eventsAbout,
  type Fixture,
  metric,
  newCustomer,
  orderPlaced,
  outcomeOf,
  refundRequested,
} from './support/harness.ts';

async function paidOrder(fx: Fixture, customer: Customer) {
  const placed = orderPlaced(customer);
  const orderId = (placed.data as { orderId: string }).orderId;
  await fx.payments.context.bus!.publish([placed]);
  const { paymentId } = await outcomeOf(fx, orderId, 'succeeded');
  return { placed, orderId, paymentId };
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function refundBehaviours(fx: () => Fixture): void {
  describe('refunds', () => {
    test('order.refund-requested refunds the charge once and publishes payment.refunded', async () => {
      const customer = await newCustomer(fx());
      const { placed, orderId, paymentId } = await paidOrder(fx(), customer);
      const before = (await metric(fx(), 'payments_outcomes_total', 'outcome="refunded"')) ?? 0;
      await fx().payments.context.bus!.publish([refundRequested(placed, paymentId)]);

      const data = await outcomeOf(fx(), orderId, 'refunded');
      assert.equal(data.paymentId, paymentId);
      assert.equal(data.reason, 'cancelled_by_customer');
      assert.equal(data.amountCents, 2598);
      const [charge] = await fx().processor.chargesWithKey(`order:${orderId}`);
      assert.equal(charge?.refunded, true);
      const payment = (await call(fx(), 'GET', `/${paymentId}`, customer.token)).json();
      assert.equal(payment.status, 'refunded');
      assert.equal(payment.refundPending, undefined);
      assert.equal(await metric(fx(), 'payments_outcomes_total', 'outcome="refunded"'), before + 1);

      // Asked again (a new event id): already refunded, nothing more happens.
      await fx().payments.context.bus!.publish([refundRequested(placed, paymentId)]);
      const marker = await paidOrder(fx(), customer);
      await fx().payments.context.bus!.publish([refundRequested(marker.placed, marker.paymentId)]);
      await outcomeOf(fx(), marker.orderId, 'refunded');
      assert.deepEqual(eventsAbout(fx(), orderId), ['succeeded.v1', 'refunded.v1']);
    });

    test('a refund the provider cannot take now is retried until it is back', async () => {
      const customer = await newCustomer(fx());
      const { placed, orderId, paymentId } = await paidOrder(fx(), customer);
      await fx().processor.outage(true);
      try {
        await fx().payments.context.bus!.publish([
          refundRequested(placed, paymentId, 'payment_timeout'),
        ]);
        await until('the refund to be pending', async () => {
          const payment = (await call(fx(), 'GET', `/${paymentId}`, customer.token)).json();
          return payment.refundPending === true;
        });
        assert.equal(eventsAbout(fx(), orderId).includes('refunded.v1'), false);
      } finally {
        await fx().processor.outage(false);
      }
      const data = await outcomeOf(fx(), orderId, 'refunded', 15_000);
      assert.equal(data.reason, 'payment_timeout');
      const [charge] = await fx().processor.chargesWithKey(`order:${orderId}`);
      assert.equal(charge?.refunded, true);
    });

    test('a refund requested while the charge is under way is done once it succeeds', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer, { paymentMethod: 'pm_card_slow' });
      const orderId = (placed.data as { orderId: string }).orderId;
      await fx().payments.context.bus!.publish([placed]);
      let paymentId: string | undefined;
      await until('the pending payment', async () => {
        const listed = (await call(fx(), 'GET', `?orderId=${orderId}`, customer.token)).json();
        paymentId = listed.items[0]?.id;
        return paymentId !== undefined;
      });
      await fx().payments.context.bus!.publish([refundRequested(placed, paymentId as string)]);
      await outcomeOf(fx(), orderId, 'refunded', 20_000);
      assert.deepEqual(eventsAbout(fx(), orderId), ['succeeded.v1', 'refunded.v1']);
    });

    test('a charge already refunded at the provider (by an operator there) ends refunded, once', async () => {
      const customer = await newCustomer(fx());
      const { placed, orderId, paymentId } = await paidOrder(fx(), customer);
      const [charge] = await fx().processor.chargesWithKey(`order:${orderId}`);
      const direct = await fx().processor.request('POST', '/v1/refunds', { charge: charge?.id });
      assert.equal(direct.status, 200);
      await fx().payments.context.bus!.publish([refundRequested(placed, paymentId)]);
      await outcomeOf(fx(), orderId, 'refunded');
      const payment = (await call(fx(), 'GET', `/${paymentId}`, customer.token)).json();
      assert.equal(payment.status, 'refunded');
    });

    test('a refund request for an unknown payment is skipped and the consumer keeps working', async () => {
      const customer = await newCustomer(fx());
      const stray = orderPlaced(customer);
      await fx().payments.context.bus!.publish([
        refundRequested(stray, randomUUID()),
        refundRequested(stray, 'not-a-payment-id'),
      ]);
      const { placed, orderId, paymentId } = await paidOrder(fx(), customer);
      await fx().payments.context.bus!.publish([refundRequested(placed, paymentId)]);
      await outcomeOf(fx(), orderId, 'refunded');
      assert.equal(fx().payments.bus.deadLetters('payments_refund-requested').length, 0);
    });

    test('POST /payments/:id/refund: admins only, 200 refunded, again 200 as it is, 409 unless succeeded', async () => {
      const customer = await newCustomer(fx());
      const admin = await newCustomer(fx(), { tenantId: customer.tenantId, roles: ['admin'] });
      const outsider = await newCustomer(fx(), { roles: ['admin'] });
      const { orderId, paymentId } = await paidOrder(fx(), customer);

      const byMember = await call(fx(), 'POST', `/${paymentId}/refund`, customer.token);
      assert.equal(byMember.statusCode, 403);
      assert.match(String(byMember.headers['content-type']), /^application\/problem\+json/);
      const byOutsider = await call(fx(), 'POST', `/${paymentId}/refund`, outsider.token);
      assert.equal(byOutsider.statusCode, 404, "another tenant's payment does not exist for them");

      const first = await call(fx(), 'POST', `/${paymentId}/refund`, admin.token);
      assert.equal(first.statusCode, 200);
      assert.equal(first.json().status, 'refunded');
      const again = await call(fx(), 'POST', `/${paymentId}/refund`, admin.token);
      assert.equal(again.statusCode, 200);
      assert.deepEqual(again.json(), first.json());
      const refunds = await fx().processor.chargesWithKey(`order:${orderId}`);
      assert.equal(refunds.filter((c) => c.refunded).length, 1);
      const data = await outcomeOf(fx(), orderId, 'refunded');
      assert.equal(data.reason, 'requested_by_operator');

      const declined = orderPlaced(customer, { paymentMethod: 'pm_card_declined' });
      const declinedOrder = (declined.data as { orderId: string }).orderId;
      await fx().payments.context.bus!.publish([declined]);
      const failed = await outcomeOf(fx(), declinedOrder, 'failed');
      const refused = await call(fx(), 'POST', `/${failed.paymentId}/refund`, admin.token);
      assert.equal(refused.statusCode, 409);
      assert.equal(refused.json().code, 'PAYMENTS_NOT_REFUNDABLE');
      const missing = await call(fx(), 'POST', `/${randomUUID()}/refund`, admin.token);
      assert.equal(missing.statusCode, 404);
      assert.equal(missing.json().code, 'PAYMENTS_NOT_FOUND');
    });
  });
}
