import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { type AnalyticsService, appliedCount, get, tokenFor, until } from './support/harness.ts';
import { scenario, shuffled } from './support/scenario.ts';

const SIZE = { registrations: 12, orders: 20, declined: 5, refunded: 3, todos: 15, completed: 9 };
const BASE = new Date('2026-03-10T00:00:00Z');
const RANGE = 'from=2026-03-10T00:00:00Z&to=2026-03-11T00:00:00Z';

/** Publishes `events` as real messages on the service's bus and waits until all were applied. */
export async function publishAndSettle(
  svc: AnalyticsService,
  events: Parameters<AnalyticsService['bus']['publish']>[0],
) {
  const before = await appliedCount(svc);
  await svc.bus.publish(events);
  await until(
    'every event applied',
    () => appliedCount(svc),
    (n) => n >= before + events.length,
  );
}

export function scenarioBehaviours(svc: () => AnalyticsService): void {
  describe('a scripted scenario', () => {
    const tenantId = randomUUID();
    const { events, expected } = scenario(tenantId, BASE, SIZE);

    test('published as real events, the summary equals what the script did, exactly', async () => {
      await publishAndSettle(svc(), shuffled(events));
      const token = await tokenFor(svc(), tenantId, ['admin']);
      const response = await get(svc(), `/summary?${RANGE}`, token);
      assert.equal(response.statusCode, 200, response.body);
      const summary = response.json();
      assert.deepEqual(summary, {
        tenantId,
        from: '2026-03-10T00:00:00.000Z',
        to: '2026-03-11T00:00:00.000Z',
        signups: expected.signups,
        activeUsers: expected.activeUsers,
        usersDeleted: 0,
        todosCreated: expected.todosCreated,
        todosCompleted: expected.todosCompleted,
        todosDeleted: 0,
        ordersPlaced: expected.ordersPlaced,
        ordersConfirmed: expected.ordersConfirmed,
        ordersCancelled: expected.ordersCancelled,
        refundsRequested: expected.refundsRequested,
        paymentsSucceeded: expected.paymentsSucceeded,
        paymentsFailed: expected.paymentsFailed,
        paymentFailureRate: expected.paymentFailureRate,
        refunds: expected.refunds,
        revenue: [
          {
            currency: 'EUR',
            ordersConfirmed: expected.ordersConfirmed,
            revenueCents: expected.revenueCents,
            averageOrderValueCents: expected.averageOrderValueCents,
            refunds: expected.refunds,
            refundedCents: expected.refundedCents,
          },
        ],
      });
      // The script's own sizes, so the tally above cannot drift from the brief's story.
      assert.equal(summary.ordersConfirmed, SIZE.orders - SIZE.declined);
      assert.equal(summary.paymentsFailed, SIZE.declined);
    });

    for (const metric of [
      'signups',
      'orders_placed',
      'orders_confirmed',
      'orders_cancelled',
      'todos_created',
      'todos_completed',
      'revenue',
      'refunds',
      'payments_failed',
    ]) {
      test(`the hourly ${metric} series equals the script's hour by hour, 0 in quiet hours`, async () => {
        const token = await tokenFor(svc(), tenantId, ['admin']);
        const response = await get(
          svc(),
          `/timeseries?metric=${metric}&interval=hour&${RANGE}`,
          token,
        );
        assert.equal(response.statusCode, 200, response.body);
        const { points } = response.json();
        assert.equal(points.length, 24);
        const wanted = points.map((p: { t: string }) => ({
          t: p.t,
          value: expected.hourly.get(p.t)?.[metric] ?? 0,
        }));
        assert.deepEqual(points, wanted);
        assert.ok(
          points.some((p: { value: number }) => p.value > 0),
          'the scenario shows up',
        );
      });
    }

    test('active users per hour are distinct users, and the day is not the sum of its hours', async () => {
      const token = await tokenFor(svc(), tenantId, ['admin']);
      const hourly = (
        await get(svc(), `/timeseries?metric=active_users&interval=hour&${RANGE}`, token)
      ).json().points;
      assert.deepEqual(
        hourly,
        hourly.map((p: { t: string }) => ({
          t: p.t,
          value: expected.activeByHour.get(p.t)?.size ?? 0,
        })),
      );
      const daily = (
        await get(svc(), `/timeseries?metric=active_users&interval=day&${RANGE}`, token)
      ).json().points;
      assert.deepEqual(daily, [{ t: '2026-03-10T00:00:00.000Z', value: expected.activeUsers }]);
      const sumOfHours = hourly.reduce((sum: number, p: { value: number }) => sum + p.value, 0);
      assert.ok(
        sumOfHours > expected.activeUsers,
        'users active in several hours count once a day',
      );
    });

    test('daily series: counts are the sum of the hours, ratios are recomputed for the day', async () => {
      const token = await tokenFor(svc(), tenantId, ['admin']);
      const range = 'from=2026-03-09T00:00:00Z&to=2026-03-12T00:00:00Z';
      const series = async (metric: string) =>
        (await get(svc(), `/timeseries?metric=${metric}&interval=day&${range}`, token)).json();
      const placed = await series('orders_placed');
      assert.deepEqual(placed.points, [
        { t: '2026-03-09T00:00:00.000Z', value: 0 },
        { t: '2026-03-10T00:00:00.000Z', value: expected.ordersPlaced },
        { t: '2026-03-11T00:00:00.000Z', value: 0 },
      ]);
      const aov = await series('average_order_value');
      assert.equal(aov.currency, 'EUR');
      assert.deepEqual(
        aov.points.map((p: { value: number | null }) => p.value),
        [null, expected.averageOrderValueCents, null],
        'no confirmed order: no average (null), not 0',
      );
      const failure = await series('payment_failure_rate');
      assert.deepEqual(
        failure.points.map((p: { value: number | null }) => p.value),
        [null, expected.paymentFailureRate, null],
      );
    });
  });
}
