import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Fixture, metric, newCustomer, orderPlaced, outcomeOf } from './support/harness.ts';

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
  });
}
