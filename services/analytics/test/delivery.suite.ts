import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { subjectOfType } from '@lattice/platform';
import { publishAndSettle } from './scenario.suite.ts';
import {
  orderConfirmed,
  orderPlaced,
  paymentFailed,
  registered,
  todoCreated,
} from './support/events.ts';
import {
  type AnalyticsService,
  appliedCount,
  database,
  get,
  tokenFor,
  until,
} from './support/harness.ts';

const DAY = 'from=2026-04-01T00:00:00Z&to=2026-04-02T00:00:00Z';

async function summaryOf(svc: AnalyticsService, tenantId: string, range = DAY) {
  const token = await tokenFor(svc, tenantId, ['admin']);
  const response = await get(svc, `/summary?${range}`, token);
  assert.equal(response.statusCode, 200, response.body);
  return response.json();
}

export function deliveryBehaviours(svc: () => AnalyticsService): void {
  describe('delivery', () => {
    test('an event delivered twice (past the bus deduplication) counts once', async () => {
      const tenantId = randomUUID();
      const order = {
        orderId: randomUUID(),
        tenantId,
        customerId: randomUUID(),
        totalCents: 4_200,
        currency: 'EUR',
      };
      const confirmed = orderConfirmed(order, 'p1', new Date('2026-04-01T10:15:00Z'));
      await publishAndSettle(svc(), [confirmed]);
      // The same CloudEvent again as a new message (another Nats-Msg-Id): only the inbox stands
      // between it and a second count.
      await svc().bus.publishRaw(subjectOfType(confirmed.type), JSON.stringify(confirmed));
      await svc().bus.publishRaw(subjectOfType(confirmed.type), JSON.stringify(confirmed));
      // A later event on the same subject is handed over only after the duplicates were handled.
      const marker = orderPlaced(order, new Date('2026-04-01T11:00:00Z'));
      await publishAndSettle(svc(), [marker]);
      const summary = await summaryOf(svc(), tenantId);
      assert.equal(summary.ordersConfirmed, 1);
      assert.deepEqual(summary.revenue, [
        {
          currency: 'EUR',
          ordersConfirmed: 1,
          revenueCents: 4_200,
          averageOrderValueCents: 4_200,
          refunds: 0,
          refundedCents: 0,
        },
      ]);
      assert.equal(summary.ordersPlaced, 1);
    });

    test('a late event lands in the hour it happened, not the hour it arrived', async () => {
      const tenantId = randomUUID();
      const userId = randomUUID();
      const today = new Date();
      await publishAndSettle(svc(), [registered(tenantId, userId, today)]);
      // Three days late, and older than everything else of the tenant: out of order too.
      const lateTime = new Date('2026-04-01T07:59:59.999Z');
      await publishAndSettle(svc(), [todoCreated(tenantId, userId, randomUUID(), lateTime)]);
      const token = await tokenFor(svc(), tenantId, ['admin']);
      const series = (
        await get(svc(), `/timeseries?metric=todos_created&interval=hour&${DAY}`, token)
      ).json();
      const nonZero = series.points.filter((p: { value: number }) => p.value !== 0);
      assert.deepEqual(nonZero, [{ t: '2026-04-01T07:00:00.000Z', value: 1 }]);
      const active = (
        await get(svc(), `/timeseries?metric=active_users&interval=hour&${DAY}`, token)
      ).json();
      assert.deepEqual(
        active.points.filter((p: { value: number }) => p.value !== 0),
        [{ t: '2026-04-01T07:00:00.000Z', value: 1 }],
      );
      const now = (await summaryOf(svc(), tenantId, '')).signups;
      assert.equal(now, 1, 'the registration of today stays in today');
    });

    test('amounts in another currency stay apart; a money series then needs the currency', async () => {
      const tenantId = randomUUID();
      const at = new Date('2026-04-01T09:30:00Z');
      const order = (totalCents: number, currency: string) => ({
        orderId: randomUUID(),
        tenantId,
        customerId: randomUUID(),
        totalCents,
        currency,
      });
      await publishAndSettle(svc(), [
        orderConfirmed(order(1_000, 'EUR'), 'p1', at),
        orderConfirmed(order(3_000, 'EUR'), 'p2', at),
        orderConfirmed(order(500, 'USD'), 'p3', at),
        paymentFailed(order(700, 'USD'), 'p4', at),
      ]);
      const summary = await summaryOf(svc(), tenantId);
      assert.deepEqual(
        summary.revenue.map((m: { currency: string; revenueCents: number }) => [
          m.currency,
          m.revenueCents,
        ]),
        [
          ['EUR', 4_000],
          ['USD', 500],
        ],
      );
      assert.equal(summary.revenue[0].averageOrderValueCents, 2_000);
      const token = await tokenFor(svc(), tenantId, ['admin']);
      const ambiguous = await get(svc(), `/timeseries?metric=revenue&interval=day&${DAY}`, token);
      assert.equal(ambiguous.statusCode, 400);
      assert.equal(ambiguous.json().code, 'ANALYTICS_CURRENCY_REQUIRED');
      assert.match(ambiguous.json().detail, /EUR, USD/);
      const usd = await get(
        svc(),
        `/timeseries?metric=revenue&interval=day&currency=USD&${DAY}`,
        token,
      );
      assert.deepEqual(usd.json().points, [{ t: '2026-04-01T00:00:00.000Z', value: 500 }]);
      assert.equal(usd.json().currency, 'USD');
    });

    test('an event its contract refuses is dead-lettered and changes nothing', async () => {
      const tenantId = randomUUID();
      const bad = registered(tenantId, randomUUID(), new Date('2026-04-01T12:00:00Z'));
      (bad.data as Record<string, unknown>).email = 'not an email';
      const applied = await appliedCount(svc());
      await svc().bus.publishRaw(subjectOfType(bad.type), JSON.stringify(bad));
      await svc().bus.publishRaw(subjectOfType(bad.type), '{ not json');
      const good = registered(tenantId, randomUUID(), new Date('2026-04-01T12:00:00Z'));
      await publishAndSettle(svc(), [good]);
      assert.equal(await appliedCount(svc()), applied + 1);
      assert.equal((await summaryOf(svc(), tenantId)).signups, 1);
      const logged = await database(svc())
        .db.selectFrom('event_log')
        .select('event')
        .where('event_id', '=', good.id)
        .executeTakeFirstOrThrow();
      const event = typeof logged.event === 'string' ? JSON.parse(logged.event) : logged.event;
      assert.deepEqual(
        Object.keys(event.data).sort(),
        ['tenantId', 'userId'],
        'the event log keeps no email or name',
      );
    });

    test('events applied are counted by type on /metrics', async () => {
      await until(
        'the counter to show',
        async () => (await svc().app.inject({ method: 'GET', url: '/metrics' })).body,
        (body) =>
          /analytics_events_applied_total\{[^}]*type="lattice\.orders\.order\.confirmed\.v1"[^}]*\} [1-9]/.test(
            body,
          ),
      );
    });
  });
}
