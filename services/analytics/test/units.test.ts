import assert from 'node:assert/strict';
import { test } from 'node:test';
import { eventContract } from '@lattice/contracts';
import { effectOf, hourOf, minimalData } from '../src/domain/effects.ts';
import { resolveRange } from '../src/domain/time-range.ts';
import { CONSUMED_TYPES } from '../src/events/event-types.ts';

const limits = { maxHourlyPoints: 744, maxDailyPoints: 366 };

test('every consumed event type has a contract, and each of its examples changes a read model', () => {
  for (const type of CONSUMED_TYPES) {
    const contract = eventContract(type);
    assert.ok(contract, `${type} has a contract`);
    for (const example of contract.examples) {
      const effect = effectOf(type, minimalData(example));
      const changes = Object.keys(effect.counts).length + (effect.money ? 1 : 0);
      assert.ok(changes > 0, `${type} counts something`);
      if (effect.money) assert.match(effect.money.currency, /^[A-Z]{3}$/, `${type} has a currency`);
    }
  }
});

test('the event log keeps ids and amounts, never emails, names, titles or order lines', () => {
  const kept = minimalData({
    userId: 'u1',
    tenantId: 't1',
    email: 'ada@example.com',
    name: 'Ada',
    title: 'Secret plans',
    items: [{ sku: 'x' }],
    totalCents: 10,
    currency: 'EUR',
  });
  assert.deepEqual(kept, { userId: 'u1', tenantId: 't1', totalCents: 10, currency: 'EUR' });
});

test('an event belongs to the UTC hour its time falls in, whatever its offset', () => {
  assert.equal(hourOf('2026-03-10T10:59:59.999Z').toISOString(), '2026-03-10T10:00:00.000Z');
  assert.equal(hourOf('2026-03-10T11:00:00Z').toISOString(), '2026-03-10T11:00:00.000Z');
  assert.equal(hourOf('2026-03-10T12:30:00+02:00').toISOString(), '2026-03-10T10:00:00.000Z');
});

test('a range is widened to whole intervals; the defaults end with the current interval', () => {
  const now = new Date('2026-03-10T10:20:00Z');
  const day = resolveRange(
    { from: '2026-03-01T13:00:00Z', to: '2026-03-03T00:00:00Z' },
    'day',
    limits,
    now,
  );
  assert.equal(day.from.toISOString(), '2026-03-01T00:00:00.000Z');
  assert.equal(day.to.toISOString(), '2026-03-03T00:00:00.000Z');
  const lastDay = resolveRange({}, 'hour', limits, now);
  assert.equal(lastDay.to.toISOString(), '2026-03-10T11:00:00.000Z');
  assert.equal(lastDay.from.toISOString(), '2026-03-09T11:00:00.000Z');
  const summary = resolveRange({}, 'hour', limits, now, 'summary');
  assert.equal(summary.from.toISOString(), '2026-02-08T11:00:00.000Z');
  assert.throws(
    () =>
      resolveRange(
        { from: '2026-01-01T00:00:00Z', to: '2026-02-02T00:00:00Z' },
        'hour',
        limits,
        now,
      ),
    /at most 744 hours/,
  );
});
