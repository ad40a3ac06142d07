import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { OrderPlacedV1 } from '@lattice/contracts';
import { acceptOrders } from '../src/domain/accept-order.ts';
import type { PaymentsDeps } from '../src/domain/deps.ts';
import { LocalLeases } from '../src/domain/local-leases.ts';
import { PaymentRunner } from '../src/domain/payment-runner.ts';
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

const succeededCharges = (charges: Array<{ status: string }>) =>
  charges.filter((c) => c.status === 'succeeded').length;

export function chargeBehaviours(fx: () => Fixture): void {
  describe('charging orders', () => {
    test('order.placed with pm_card_ok charges once and publishes payment.succeeded', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer, { totalCents: 2598 });
      const { orderId } = placed.data as { orderId: string };
      const before = (await metric(fx(), 'payments_outcomes_total', 'outcome="succeeded"')) ?? 0;
      await fx().payments.context.bus!.publish([placed]);

      const data = await outcomeOf(fx(), orderId, 'succeeded');
      assert.deepEqual(
        { ...data, paymentId: undefined },
        {
          paymentId: undefined,
          orderId,
          tenantId: customer.tenantId,
          customerId: customer.userId,
          amountCents: 2598,
          currency: 'EUR',
        },
      );
      assert.match(data.paymentId, /^[0-9a-f-]{36}$/);
      const charges = await fx().processor.chargesWithKey(`order:${orderId}`);
      assert.equal(charges.length, 1);
      assert.equal(charges[0]!.status, 'succeeded');

      const listed = await call(fx(), 'GET', `?orderId=${orderId}`, customer.token);
      assert.equal(listed.statusCode, 200);
      const [payment] = listed.json().items;
      assert.equal(payment.id, data.paymentId);
      assert.equal(payment.status, 'succeeded');
      assert.equal(payment.amountCents, 2598);
      assert.equal(payment.currency, 'EUR');
      assert.equal(payment.failureReason, undefined);
      assert.equal(
        await metric(fx(), 'payments_outcomes_total', 'outcome="succeeded"'),
        before + 1,
      );
      // The provider's reference stays in our books, never in the API.
      assert.ok(!JSON.stringify(payment).includes(charges[0]!.id));
    });

    test('declined and insufficient funds end in payment.failed with our reason, nothing charged', async () => {
      const customer = await newCustomer(fx());
      for (const [method, reason] of [
        ['pm_card_declined', 'payment_declined'],
        ['pm_card_insufficient_funds', 'insufficient_funds'],
        ['pm_card_unknown_to_the_provider', 'payment_declined'],
      ] as const) {
        const placed = orderPlaced(customer, { paymentMethod: method });
        const { orderId } = placed.data as { orderId: string };
        await fx().payments.context.bus!.publish([placed]);
        const data = await outcomeOf(fx(), orderId, 'failed');
        assert.equal(data.reason, reason, method);
        assert.equal(succeededCharges(await fx().processor.chargesWithKey(`order:${orderId}`)), 0);
        const payment = (await call(fx(), 'GET', `/${data.paymentId}`, customer.token)).json();
        assert.equal(payment.status, 'failed');
        assert.equal(payment.failureReason, reason);
      }
    });

    test('pm_card_flaky succeeds after the client retried the transient failures: one charge', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer, { paymentMethod: 'pm_card_flaky' });
      const { orderId } = placed.data as { orderId: string };
      await fx().payments.context.bus!.publish([placed]);

      await outcomeOf(fx(), orderId, 'succeeded');
      const key = `order:${orderId}`;
      assert.equal(
        await fx().processor.transientFailures(key),
        3,
        'two failures, then the success',
      );
      const charges = await fx().processor.chargesWithKey(key);
      assert.equal(charges.length, 1);
      assert.equal(charges[0]!.status, 'succeeded');
      assert.deepEqual(eventsAbout(fx(), orderId), ['succeeded.v1']);
    });

    test('pm_card_slow (3 s at the processor) succeeds within the default timeout', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer, { paymentMethod: 'pm_card_slow' });
      const { orderId } = placed.data as { orderId: string };
      await fx().payments.context.bus!.publish([placed]);
      await outcomeOf(fx(), orderId, 'succeeded', 20_000);
      assert.equal(succeededCharges(await fx().processor.chargesWithKey(`order:${orderId}`)), 1);
    });

    test('the same order.placed twice, and again under a new event id, ends in one payment and one charge', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer);
      const { orderId } = placed.data as { orderId: string };
      const bus = fx().payments.bus;
      await bus.publishRaw('orders.order.placed.v1', JSON.stringify(placed));
      await bus.publishRaw('orders.order.placed.v1', JSON.stringify(placed));
      await outcomeOf(fx(), orderId, 'succeeded');
      // A replay by the producer carries a new event id: the inbox cannot tell, the order id can.
      await fx().payments.context.bus!.publish([{ ...placed, id: crypto.randomUUID() }]);
      // A later order handled after the duplicates marks the moment they were dealt with.
      const marker = orderPlaced(customer);
      await fx().payments.context.bus!.publish([marker]);
      await outcomeOf(fx(), (marker.data as { orderId: string }).orderId, 'succeeded');

      const rows = await database(fx().payments)
        .db.selectFrom('payments')
        .select(['id', 'status'])
        .where('order_id', '=', orderId)
        .execute();
      assert.equal(rows.length, 1);
      assert.equal((await fx().processor.chargesWithKey(`order:${orderId}`)).length, 1);
      assert.deepEqual(eventsAbout(fx(), orderId), ['succeeded.v1']);
    });

    test('a burst of order.placed in one publish, one order twice under a new id, charges each order once', async () => {
      const customer = await newCustomer(fx());
      const burst = Array.from({ length: 12 }, () => orderPlaced(customer, { totalCents: 1000 }));
      const twice = { ...burst[3]!, id: crypto.randomUUID() };
      await fx().payments.context.bus!.publish([...burst, twice]);

      for (const placed of burst)
        await outcomeOf(fx(), (placed.data as { orderId: string }).orderId, 'succeeded');
      const orderIds = burst.map((placed) => (placed.data as { orderId: string }).orderId);
      const rows = await database(fx().payments)
        .db.selectFrom('payments')
        .select(['order_id', 'status', 'amount_cents'])
        .where('order_id', 'in', orderIds)
        .execute();
      assert.equal(rows.length, 12);
      assert.ok(rows.every((r) => r.status === 'succeeded' && r.amount_cents === 1000));
      for (const orderId of orderIds)
        assert.equal((await fx().processor.chargesWithKey(`order:${orderId}`)).length, 1);
    });

    test('a batch leases as many payments as the runner has room for, handed over at the commit', async () => {
      const customer = await newCustomer(fx());
      const [a, b, c] = [orderPlaced(customer), orderPlaced(customer), orderPlaced(customer)];
      const db = database(fx().payments);
      // In a day: the service's own runner finds none of them due while they are looked at.
      const later = new Date(Date.now() + 86_400_000);
      const adopted: Array<{ order_id: string }> = [];
      const leases = new LocalLeases();
      leases.connect({ room: () => 2, adopt: (payments) => adopted.push(...payments) });
      const deps = {
        now: () => later,
        newId: () => crypto.randomUUID(),
        workChannel: 'payments_lease_test_unused',
        leaseMs: 60_000,
        leases,
      } as unknown as Parameters<typeof acceptOrders>[0];
      // Order a twice: its second event finds its payment leased already and leases nothing.
      const events = [a, { ...a, id: crypto.randomUUID() }, b, c];
      const batch = events.map((event) => ({
        order: event.data as OrderPlacedV1,
        traceparent: undefined,
        event,
      }));
      const orderOf = (event: (typeof events)[number]) =>
        (event.data as { orderId: string }).orderId;

      await db.transaction(async (trx) => {
        await acceptOrders(deps, trx, batch);
        assert.equal(adopted.length, 0, 'nothing is handed over before the commit');
      });
      leases.committed(events);
      assert.deepEqual(
        adopted.map((p) => p.order_id),
        [orderOf(a), orderOf(b)],
        'the first two orders, each once',
      );

      const rows = await db.db
        .selectFrom('payments')
        .select(['order_id', 'next_action_at', 'attempts'])
        .where('order_id', 'in', [a, b, c].map(orderOf))
        .execute();
      const byOrder = new Map(rows.map((r) => [r.order_id, r]));
      for (const leased of [a, b]) {
        assert.equal(
          byOrder.get(orderOf(leased))?.next_action_at?.getTime(),
          later.getTime() + 60_000,
        );
        assert.equal(byOrder.get(orderOf(leased))?.attempts, 1, 'the lease counts as an attempt');
      }
      assert.equal(byOrder.get(orderOf(c))?.next_action_at?.getTime(), later.getTime(), 'due');
      assert.equal(byOrder.get(orderOf(c))?.attempts, 0);

      leases.committed(events);
      assert.equal(adopted.length, 2, 'a payment is handed over once');
    });

    test('leased payments a stopped runner never started are released, and charged by the others at once', async () => {
      const customer = await newCustomer(fx());
      const [a, b] = [orderPlaced(customer), orderPlaced(customer)];
      const db = database(fx().payments);
      const leases = new LocalLeases();
      leases.connect({ room: () => 2, adopt: () => {} });
      const deps = {
        database: db,
        now: () => new Date(),
        newId: () => crypto.randomUUID(),
        // The service's own runners listen here.
        workChannel: `${db.schema}_payment_work`,
        // Ten minutes: without the release they would wait that long.
        leaseMs: 600_000,
        leases,
        log: { warn: () => {}, error: () => {} },
      } as unknown as PaymentsDeps;
      const events = [a, b];
      await db.transaction((trx) =>
        acceptOrders(
          deps,
          trx,
          events.map((event) => ({
            order: event.data as OrderPlacedV1,
            traceparent: undefined,
            event,
          })),
        ),
      );
      const stopped = new PaymentRunner(deps, { concurrency: 1, pollMs: 60_000 });
      await stopped.stop();
      leases.connect(stopped);
      const leased = await db.db
        .selectFrom('payments')
        .selectAll()
        .where(
          'order_id',
          'in',
          events.map((e) => (e.data as { orderId: string }).orderId),
        )
        .execute();
      assert.equal(leased.length, 2);
      stopped.adopt(leased);
      for (const event of events) {
        const { orderId } = event.data as { orderId: string };
        await outcomeOf(fx(), orderId, 'succeeded', 10_000);
        assert.equal((await fx().processor.chargesWithKey(`order:${orderId}`)).length, 1);
      }
    });

    test('one batch of pending payments: one row per order, a second pass adds none', async () => {
      const customer = await newCustomer(fx());
      const [a, b] = [orderPlaced(customer), orderPlaced(customer)];
      const db = database(fx().payments);
      // Due in a day: the runner leaves them alone while the rows are counted.
      const later = new Date(Date.now() + 86_400_000);
      const deps = {
        now: () => later,
        newId: () => crypto.randomUUID(),
        workChannel: 'payments_batch_test_unused',
        leaseMs: 60_000,
        leases: new LocalLeases(),
      } as unknown as Parameters<typeof acceptOrders>[0];
      const traceOf = (n: number) => `00-${String(n).repeat(32)}-${String(n).repeat(16)}-01`;
      const batch = [a, b, { ...a, id: crypto.randomUUID() }].map((event, i) => ({
        order: event.data as OrderPlacedV1,
        traceparent: traceOf(i + 1),
      }));
      for (let pass = 0; pass < 2; pass++)
        await db.transaction((trx) => acceptOrders(deps, trx, batch));

      const rows = await db.db
        .selectFrom('payments')
        .select(['order_id', 'status', 'traceparent'])
        .where(
          'order_id',
          'in',
          [a, b].map((e) => (e.data as { orderId: string }).orderId),
        )
        .execute();
      assert.equal(rows.length, 2);
      assert.ok(rows.every((r) => r.status === 'pending'));
      // Each payment keeps the trace of the event that asked for it (the first for order a).
      const byOrder = new Map(rows.map((r) => [r.order_id, r.traceparent]));
      assert.equal(byOrder.get((a.data as { orderId: string }).orderId), traceOf(1));
      assert.equal(byOrder.get((b.data as { orderId: string }).orderId), traceOf(2));
      // Never charged: not left for the suites that count what is pending.
      await db.db
        .deleteFrom('payments')
        .where(
          'order_id',
          'in',
          rows.map((r) => r.order_id),
        )
        .execute();
    });

    test('a crash after the provider charged and before the commit ends in one charge', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer);
      const { orderId } = placed.data as { orderId: string };
      let calls = 0;
      fx().faults.afterCharge = (payment) => {
        if (payment.order_id !== orderId) return;
        calls++;
        if (calls === 1) throw new Error('simulated crash between the charge and the commit');
      };
      try {
        await fx().payments.context.bus!.publish([placed]);
        // The first attempt charged and "crashed": the payment stays pending until its lease ends.
        const pending = await database(fx().payments)
          .db.selectFrom('payments')
          .select(['status'])
          .where('order_id', '=', orderId)
          .executeTakeFirst();
        assert.notEqual(pending?.status, 'failed');

        await outcomeOf(fx(), orderId, 'succeeded');
        assert.equal(calls, 2, 'the provider was called again after the crash');
        const charges = await fx().processor.chargesWithKey(`order:${orderId}`);
        assert.equal(charges.length, 1, 'the retry found the first charge');
        assert.deepEqual(eventsAbout(fx(), orderId), ['succeeded.v1']);
      } finally {
        fx().faults.afterCharge = undefined;
      }
    });

    test('a malformed order.placed is dead-lettered and charges nothing', async () => {
      const customer = await newCustomer(fx());
      const placed = orderPlaced(customer);
      const { paymentMethod: _, ...incomplete } = placed.data as Record<string, unknown>;
      const group = 'payments_order-placed';
      const before = fx().payments.bus.deadLetters(group).length;
      await fx().payments.bus.publishRaw(
        'orders.order.placed.v1',
        JSON.stringify({ ...placed, data: incomplete }),
      );
      const deadline = Date.now() + 5000;
      while (fx().payments.bus.deadLetters(group).length === before && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const letters = fx().payments.bus.deadLetters(group).slice(before);
      assert.equal(letters.length, 1);
      assert.match(letters[0]!.reason, /paymentMethod/);
      const { orderId } = placed.data as { orderId: string };
      assert.equal((await fx().processor.chargesWithKey(`order:${orderId}`)).length, 0);
    });
  });
}
