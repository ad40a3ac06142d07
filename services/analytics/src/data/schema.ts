import type { Generated } from 'kysely';

/** Counter columns of `hourly_counts` (migrations/001_read_models.sql). */
export const COUNT_COLUMNS = [
  'signups',
  'users_deleted',
  'todos_created',
  'todos_completed',
  'todos_deleted',
  'orders_placed',
  'orders_confirmed',
  'orders_cancelled',
  'refunds_requested',
  'payments_succeeded',
  'payments_failed',
] as const;
export type CountColumn = (typeof COUNT_COLUMNS)[number];

export const MONEY_COLUMNS = [
  'orders_confirmed',
  'revenue_cents',
  'refunds',
  'refunded_cents',
] as const;
export type MoneyColumn = (typeof MONEY_COLUMNS)[number];

type Counters<C extends string> = { [K in C]: Generated<number> };

export type HourlyCountsTable = { tenant_id: string; hour: Date | string } & Counters<CountColumn>;

export type HourlyMoneyTable = {
  tenant_id: string;
  hour: Date | string;
  currency: string;
} & Counters<MoneyColumn>;

export interface HourlyActiveUsersTable {
  tenant_id: string;
  hour: Date | string;
  user_id: string;
}

export interface EventLogTable {
  seq: Generated<number>;
  event_id: string;
  type: string;
  tenant_id: string;
  event_time: Date | string;
  event: unknown;
  applied_at: Generated<Date>;
}

export interface InboxTable {
  consumer: string;
  event_id: string;
}

export interface AnalyticsDb {
  hourly_counts: HourlyCountsTable;
  hourly_money: HourlyMoneyTable;
  hourly_active_users: HourlyActiveUsersTable;
  event_log: EventLogTable;
  inbox: InboxTable;
}

/** The read-model tables a rebuild clears (the event log is cleared only when it is rebuilt too). */
export const READ_MODEL_TABLES = ['hourly_counts', 'hourly_money', 'hourly_active_users'] as const;
