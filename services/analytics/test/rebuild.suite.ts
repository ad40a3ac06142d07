import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { rebuildReadModels } from '../src/rebuild/rebuild-read-models.ts';
import { publishAndSettle } from './scenario.suite.ts';
import {
  type AnalyticsService,
  appliedCount,
  database,
  get,
  tokenFor,
  until,
} from './support/harness.ts';
import { scenario } from './support/scenario.ts';
import { readModelRows } from './support/snapshot.ts';

const CONSUMER = 'analytics_read-models';
const RANGE = 'from=2026-05-01T00:00:00Z&to=2026-05-03T00:00:00Z';

export function rebuildBehaviours(svc: () => AnalyticsService): void {
  describe('rebuild from the event log (embedded mode has no retained stream)', () => {
    const tenants = [randomUUID(), randomUUID()];
    const size = { registrations: 9, orders: 14, declined: 4, refunded: 2, todos: 8, completed: 5 };

    test('dropping the read models and replaying the log gives the live result, row for row', async () => {
      for (const [i, tenantId] of tenants.entries()) {
        const base = new Date(Date.UTC(2026, 4, 1 + i));
        await publishAndSettle(svc(), scenario(tenantId, base, size).events);
      }
      const token = await tokenFor(svc(), tenants[0] as string, ['admin']);
      const answers = () =>
        Promise.all([
          get(svc(), `/summary?${RANGE}`, token).then((r) => r.json()),
          get(svc(), `/timeseries?metric=revenue&interval=hour&${RANGE}`, token).then((r) =>
            r.json(),
          ),
          get(svc(), `/timeseries?metric=active_users&interval=day&${RANGE}`, token).then((r) =>
            r.json(),
          ),
        ]);
      const live = await readModelRows(database(svc()), tenants);
      const liveAnswers = await answers();
      assert.ok(live.hourly_counts.length > 10, 'the scenario filled the read models');

      const lines: string[] = [];
      const result = await rebuildReadModels(database(svc()), {
        source: { kind: 'log' },
        consumer: CONSUMER,
        progress: { write: (text) => lines.push(text), isTTY: false },
      });
      assert.equal(result.source, 'log');
      assert.ok(result.applied >= 2 * (size.registrations + size.orders * 2), 'the log replayed');
      assert.equal(result.skipped, 0);
      assert.deepEqual(await readModelRows(database(svc()), tenants), live);
      assert.deepEqual(await answers(), liveAnswers);
      assert.match(
        lines.join(''),
        /rebuild from log 100% \d+\/\d+ events/,
        'a plain progress line',
      );
    });

    test('a rebuild after the read models were damaged restores them', async () => {
      const live = await readModelRows(database(svc()), tenants);
      await database(svc())
        .db.updateTable('hourly_counts')
        .set({ orders_placed: 999 })
        .where('tenant_id', '=', tenants[0] as string)
        .execute();
      await database(svc()).db.deleteFrom('hourly_active_users').execute();
      assert.notDeepEqual(await readModelRows(database(svc()), tenants), live);
      await rebuildReadModels(database(svc()), { source: { kind: 'log' }, consumer: CONSUMER });
      assert.deepEqual(await readModelRows(database(svc()), tenants), live);
    });

    test('the progress bar on a terminal redraws one line', async () => {
      const written: string[] = [];
      await rebuildReadModels(database(svc()), {
        source: { kind: 'log' },
        consumer: CONSUMER,
        progress: { write: (text) => written.push(text), isTTY: true },
        batchSize: 50,
      });
      const output = written.join('');
      assert.match(output, /\r\[#{30}\] rebuild from log 100% /);
      assert.ok(written.length > 2, 'redrawn as batches are applied');
      assert.ok(output.endsWith('\n'), 'the line is ended when done');
    });

    test('events the live consumer applies during a rebuild count exactly once', async () => {
      const tenantId = randomUUID();
      const { events, expected } = scenario(tenantId, new Date('2026-05-05T00:00:00Z'), size);
      const half = Math.floor(events.length / 2);
      await publishAndSettle(svc(), events.slice(0, half));
      const before = await appliedCount(svc());
      // The second half is published once the rebuild holds its locks (its first progress
      // line is written inside the transaction): the consumer applies it meanwhile or after.
      let publishing: Promise<void> | undefined;
      await rebuildReadModels(database(svc()), {
        source: { kind: 'log' },
        consumer: CONSUMER,
        progress: {
          write: () => {
            publishing ??= svc().bus.publish(events.slice(half));
          },
          isTTY: true,
        },
      });
      assert.ok(publishing, 'published during the rebuild');
      await publishing;
      await until(
        'the second half applied',
        () => appliedCount(svc()),
        (n) => n >= before + events.length - half,
      );
      const token = await tokenFor(svc(), tenantId, ['admin']);
      const summary = (
        await get(svc(), '/summary?from=2026-05-05T00:00:00Z&to=2026-05-06T00:00:00Z', token)
      ).json();
      assert.equal(summary.signups, expected.signups);
      assert.equal(summary.ordersPlaced, expected.ordersPlaced);
      assert.equal(summary.revenue[0].revenueCents, expected.revenueCents);
      assert.equal(summary.activeUsers, expected.activeUsers);
    });
  });
}
