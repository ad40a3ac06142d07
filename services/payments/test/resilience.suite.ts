import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  call,
  database,
  eventsAbout,
  type Fixture,
  metric,
  newCustomer,
  orderPlaced,
  outcomeOf,
} from './support/harness.ts';

const CIRCUIT = 'payments_provider_circuit_state';

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export function resilienceBehaviours(fx: () => Fixture): void {
  describe('provider outage', () => {
    test('orders fail with payment_unavailable, the circuit opens, and closes once the provider is back', async () => {
      const customer = await newCustomer(fx());
      assert.equal(await metric(fx(), CIRCUIT), 0, 'closed to begin with');
      const opened =
        (await metric(fx(), 'payments_provider_circuit_transitions_total', 'to="open"')) ?? 0;
      const unavailable =
        (await metric(fx(), 'payments_outcomes_total', 'outcome="payment_unavailable"')) ?? 0;
      const orders = [orderPlaced(customer), orderPlaced(customer), orderPlaced(customer)];
      await fx().processor.outage(true);
      try {
        for (const placed of orders) {
          await fx().payments.context.bus!.publish([placed]);
          const data = await outcomeOf(
            fx(),
            (placed.data as { orderId: string }).orderId,
            'failed',
          );
          assert.equal(data.reason, 'payment_unavailable');
        }
        assert.equal(await metric(fx(), CIRCUIT), 2, 'open');
        assert.ok(
          ((await metric(fx(), 'payments_provider_circuit_transitions_total', 'to="open"')) ?? 0) >
            opened,
        );
        assert.equal(
          await metric(fx(), 'payments_outcomes_total', 'outcome="payment_unavailable"'),
          unavailable + 3,
        );
      } finally {
        await fx().processor.outage(false);
      }
      for (const placed of orders) {
        const orderId = (placed.data as { orderId: string }).orderId;
        assert.equal((await fx().processor.chargesWithKey(`order:${orderId}`)).length, 0);
      }
      // No order arrives meanwhile: the half-open probe alone closes the circuit.
      await until('the circuit to close', async () => (await metric(fx(), CIRCUIT)) === 0);

      const after = orderPlaced(customer);
      await fx().payments.context.bus!.publish([after]);
      await outcomeOf(fx(), (after.data as { orderId: string }).orderId, 'succeeded');
    });

    test('a charge whose answer was lost is found after the payment failed, and refunded', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer);
      const orderId = (placed.data as { orderId: string }).orderId;
      await fx().processor.outage(true, 'lost_responses');
      try {
        await fx().payments.context.bus!.publish([placed]);
        const failed = await outcomeOf(fx(), orderId, 'failed');
        assert.equal(failed.reason, 'payment_unavailable');
      } finally {
        await fx().processor.outage(false);
      }
      // The provider charged while every answer was lost; reconciliation finds and refunds it.
      const refunded = await outcomeOf(fx(), orderId, 'refunded', 15_000);
      assert.equal(refunded.reason, 'payment_unavailable');
      const charges = await fx().processor.chargesWithKey(`order:${orderId}`);
      assert.equal(charges.length, 1, 'retries with the key made no second charge');
      assert.equal(charges[0]?.refunded, true);
      const payment = (await call(fx(), 'GET', `/${refunded.paymentId}`, customer.token)).json();
      assert.equal(payment.status, 'refunded');
      assert.equal(payment.failureReason, 'payment_unavailable');
      await until('the circuit to close', async () => (await metric(fx(), CIRCUIT)) === 0);
    });

    test('a payment that failed as unavailable with no charge at the provider stays failed', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer);
      const orderId = (placed.data as { orderId: string }).orderId;
      await fx().processor.outage(true);
      try {
        await fx().payments.context.bus!.publish([placed]);
        await outcomeOf(fx(), orderId, 'failed');
      } finally {
        await fx().processor.outage(false);
      }
      await until('reconciliation to finish', async () => {
        const row = await database(fx().payments)
          .db.selectFrom('payments')
          .select(['next_action_at'])
          .where('order_id', '=', orderId)
          .executeTakeFirst();
        return row?.next_action_at === null;
      });
      const [payment] = (await call(fx(), 'GET', `?orderId=${orderId}`, customer.token)).json()
        .items;
      assert.equal(payment.status, 'failed');
      assert.deepEqual(eventsAbout(fx(), orderId), ['failed.v1']);
      await until('the circuit to close', async () => (await metric(fx(), CIRCUIT)) === 0);
    });
  });
}
