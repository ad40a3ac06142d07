import type { Kysely } from 'kysely';
import {
  activeUsers,
  activeUsersPerBucket,
  type BucketValues,
  countTotals,
  currenciesIn,
  moneyTotals,
  type Scope,
  sumsPerBucket,
} from '../data/read-models.ts';
import type { AnalyticsDb } from '../data/schema.ts';
import { AnalyticsErrors } from '../errors.ts';
import { METRICS, type MetricName, needsCurrency, ratio } from './metrics.ts';
import { INTERVAL_MS, type Interval, type RangeLimits, resolveRange } from './time-range.ts';

export interface AnalyticsDeps {
  db: Kysely<AnalyticsDb>;
  limits: RangeLimits;
  now: () => Date;
}

/** Totals of one tenant over a range (whole UTC hours). */
export async function readSummary(
  deps: AnalyticsDeps,
  tenantId: string,
  query: { from?: string; to?: string },
) {
  // A summary of up to maxDailyPoints days, with hour precision.
  const range = resolveRange(
    query,
    'hour',
    {
      maxHourlyPoints: deps.limits.maxDailyPoints * 24,
      maxDailyPoints: deps.limits.maxDailyPoints,
    },
    deps.now(),
    'summary',
  );
  const scope: Scope = { tenantId, range };
  const [counts, money, active] = await Promise.all([
    countTotals(deps.db, scope),
    moneyTotals(deps.db, scope),
    activeUsers(deps.db, scope),
  ]);
  return {
    tenantId,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    signups: counts.signups,
    activeUsers: active,
    usersDeleted: counts.users_deleted,
    todosCreated: counts.todos_created,
    todosCompleted: counts.todos_completed,
    todosDeleted: counts.todos_deleted,
    ordersPlaced: counts.orders_placed,
    ordersConfirmed: counts.orders_confirmed,
    ordersCancelled: counts.orders_cancelled,
    refundsRequested: counts.refunds_requested,
    paymentsSucceeded: counts.payments_succeeded,
    paymentsFailed: counts.payments_failed,
    paymentFailureRate: ratio(
      counts.payments_failed,
      counts.payments_succeeded + counts.payments_failed,
    ),
    refunds: money.reduce((sum, m) => sum + m.refunds, 0),
    revenue: money.map((m) => ({
      currency: m.currency,
      ordersConfirmed: m.orders_confirmed,
      revenueCents: m.revenue_cents,
      averageOrderValueCents: ratio(m.revenue_cents, m.orders_confirmed),
      refunds: m.refunds,
      refundedCents: m.refunded_cents,
    })),
  };
}

export interface TimeseriesQuery {
  metric: MetricName;
  interval: Interval;
  from?: string;
  to?: string;
  currency?: string;
}

/** One metric per bucket over the range; every bucket present (see metrics.ts for empty ones). */
export async function readTimeseries(
  deps: AnalyticsDeps,
  tenantId: string,
  query: TimeseriesQuery,
) {
  const range = resolveRange(query, query.interval, deps.limits, deps.now());
  const scope: Scope = { tenantId, range };
  const step = INTERVAL_MS[query.interval];
  const currency = needsCurrency(query.metric)
    ? await currencyOf(deps.db, scope, query.currency)
    : undefined;
  const valueAt = await bucketValues(deps.db, scope, step, query.metric, currency);
  const points: Array<{ t: string; value: number | null }> = [];
  for (let t = range.from.getTime(); t < range.to.getTime(); t += step) {
    points.push({ t: new Date(t).toISOString(), value: valueAt(t) });
  }
  return {
    metric: query.metric,
    interval: query.interval,
    tenantId,
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    ...(needsCurrency(query.metric) ? { currency: currency ?? null } : {}),
    points,
  };
}

async function currencyOf(
  db: Kysely<AnalyticsDb>,
  scope: Scope,
  asked: string | undefined,
): Promise<string | undefined> {
  if (asked !== undefined) return asked;
  const found = await currenciesIn(db, scope);
  if (found.length > 1) {
    throw AnalyticsErrors.currencyRequired(
      `the range has amounts in ${found.join(', ')}: add currency=${found[0]} (for example)`,
    );
  }
  return found[0];
}

type ValueOf = (bucketStart: number) => number | null;

async function bucketValues(
  db: Kysely<AnalyticsDb>,
  scope: Scope,
  step: number,
  metric: MetricName,
  currency: string | undefined,
): Promise<ValueOf> {
  const definition = METRICS[metric];
  const read = (values: BucketValues, column: string) => (t: number) =>
    values.get(t)?.[column] ?? 0;
  switch (definition.kind) {
    case 'count':
      return read(
        await sumsPerBucket(db, scope, step, 'hourly_counts', [definition.column]),
        definition.column,
      );
    case 'active_users':
      return read(await activeUsersPerBucket(db, scope, step), 'active_users');
    case 'refunds':
      return read(await sumsPerBucket(db, scope, step, 'hourly_money', ['refunds']), 'refunds');
    case 'money': {
      if (currency === undefined) return () => 0;
      const values = await sumsPerBucket(
        db,
        scope,
        step,
        'hourly_money',
        [definition.column],
        currency,
      );
      return read(values, definition.column);
    }
    case 'average_order_value': {
      if (currency === undefined) return () => null;
      const values = await sumsPerBucket(
        db,
        scope,
        step,
        'hourly_money',
        ['revenue_cents', 'orders_confirmed'],
        currency,
      );
      return (t) => {
        const sums = values.get(t);
        return sums ? ratio(sums.revenue_cents ?? 0, sums.orders_confirmed ?? 0) : null;
      };
    }
    case 'payment_failure_rate': {
      const values = await sumsPerBucket(db, scope, step, 'hourly_counts', [
        'payments_succeeded',
        'payments_failed',
      ]);
      return (t) => {
        const sums = values.get(t);
        const failed = sums?.payments_failed ?? 0;
        return ratio(failed, failed + (sums?.payments_succeeded ?? 0));
      };
    }
  }
}
