import type { CountColumn } from '../data/schema.ts';

/**
 * The time series one can ask for. Counts are per bucket (0 where nothing happened); money is
 * in cents of one currency; ratios are null where their denominator is 0 (no confirmed order,
 * no payment), since 0 would claim something that was not measured.
 */
export type MetricDefinition =
  | { kind: 'count'; column: CountColumn }
  | { kind: 'active_users' }
  | { kind: 'refunds' }
  | { kind: 'money'; column: 'revenue_cents' | 'refunded_cents' }
  | { kind: 'average_order_value' }
  | { kind: 'payment_failure_rate' };

export const METRICS = {
  signups: { kind: 'count', column: 'signups' },
  active_users: { kind: 'active_users' },
  users_deleted: { kind: 'count', column: 'users_deleted' },
  todos_created: { kind: 'count', column: 'todos_created' },
  todos_completed: { kind: 'count', column: 'todos_completed' },
  todos_deleted: { kind: 'count', column: 'todos_deleted' },
  orders_placed: { kind: 'count', column: 'orders_placed' },
  orders_confirmed: { kind: 'count', column: 'orders_confirmed' },
  orders_cancelled: { kind: 'count', column: 'orders_cancelled' },
  refunds_requested: { kind: 'count', column: 'refunds_requested' },
  payments_succeeded: { kind: 'count', column: 'payments_succeeded' },
  payments_failed: { kind: 'count', column: 'payments_failed' },
  revenue: { kind: 'money', column: 'revenue_cents' },
  refunds: { kind: 'refunds' },
  refunds_amount: { kind: 'money', column: 'refunded_cents' },
  average_order_value: { kind: 'average_order_value' },
  payment_failure_rate: { kind: 'payment_failure_rate' },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;

export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Metrics in money of one currency: the query names it, or the range has only one. */
export function needsCurrency(metric: MetricName): boolean {
  const kind = METRICS[metric].kind;
  return kind === 'money' || kind === 'average_order_value';
}

export const ratio = (numerator: number, denominator: number): number | null =>
  denominator === 0 ? null : numerator / denominator;
