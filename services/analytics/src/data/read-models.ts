import { type Kysely, sql } from 'kysely';
import type { TimeRange } from '../domain/time-range.ts';
import { type AnalyticsDb, COUNT_COLUMNS, type CountColumn, MONEY_COLUMNS } from './schema.ts';

/** Every query here is scoped by tenant_id first: it leads each table's primary key. */
export interface Scope {
  tenantId: string;
  range: TimeRange;
}

export type CountTotals = Record<CountColumn, number>;

export interface MoneyTotals {
  currency: string;
  orders_confirmed: number;
  revenue_cents: number;
  refunds: number;
  refunded_cents: number;
}

const toNumber = (value: unknown): number => (value === null ? 0 : Number(value));

export async function countTotals(db: Kysely<AnalyticsDb>, scope: Scope): Promise<CountTotals> {
  const { rows } = await sql<Record<CountColumn, unknown>>`SELECT ${sql.join(
    COUNT_COLUMNS.map((c) => sql`coalesce(sum(${sql.ref(c)}), 0)::bigint AS ${sql.ref(c)}`),
  )} FROM hourly_counts
    WHERE tenant_id = ${scope.tenantId} AND hour >= ${scope.range.from} AND hour < ${scope.range.to}`.execute(
    db,
  );
  const row = rows[0] ?? {};
  return Object.fromEntries(
    COUNT_COLUMNS.map((c) => [c, toNumber((row as Record<string, unknown>)[c] ?? 0)]),
  ) as CountTotals;
}

export async function moneyTotals(db: Kysely<AnalyticsDb>, scope: Scope): Promise<MoneyTotals[]> {
  const { rows } = await sql<Record<string, unknown>>`SELECT currency, ${sql.join(
    MONEY_COLUMNS.map((c) => sql`sum(${sql.ref(c)})::bigint AS ${sql.ref(c)}`),
  )} FROM hourly_money
    WHERE tenant_id = ${scope.tenantId} AND hour >= ${scope.range.from} AND hour < ${scope.range.to}
    GROUP BY currency ORDER BY currency`.execute(db);
  return rows.map((row) => ({
    currency: String(row.currency),
    orders_confirmed: toNumber(row.orders_confirmed),
    revenue_cents: toNumber(row.revenue_cents),
    refunds: toNumber(row.refunds),
    refunded_cents: toNumber(row.refunded_cents),
  }));
}

/** Distinct users active anywhere in the range: exact, from the (tenant, hour, user) set. */
export async function activeUsers(db: Kysely<AnalyticsDb>, scope: Scope): Promise<number> {
  const { rows } = await sql<{ n: unknown }>`SELECT count(DISTINCT user_id)::bigint AS n
    FROM hourly_active_users
    WHERE tenant_id = ${scope.tenantId} AND hour >= ${scope.range.from} AND hour < ${scope.range.to}`.execute(
    db,
  );
  return toNumber(rows[0]?.n ?? 0);
}

/** The currencies the tenant's money rows of the range are in. */
export async function currenciesIn(db: Kysely<AnalyticsDb>, scope: Scope): Promise<string[]> {
  const rows = await db
    .selectFrom('hourly_money')
    .select('currency')
    .distinct()
    .where('tenant_id', '=', scope.tenantId)
    .where('hour', '>=', scope.range.from)
    .where('hour', '<', scope.range.to)
    .orderBy('currency')
    .execute();
  return rows.map((row) => row.currency);
}

/** One value per bucket, keyed by the bucket's start in epoch ms; buckets without rows absent. */
export type BucketValues = Map<number, Record<string, number>>;

/** Sums of `columns` per bucket of `stepMs` (an hour or a UTC day: epoch arithmetic, no time zone). */
export async function sumsPerBucket(
  db: Kysely<AnalyticsDb>,
  scope: Scope,
  stepMs: number,
  table: 'hourly_counts' | 'hourly_money',
  columns: readonly string[],
  currency?: string,
): Promise<BucketValues> {
  const { rows } = await sql<
    Record<string, unknown>
  >`SELECT ${bucket(stepMs)} AS bucket, ${sql.join(
    columns.map((c) => sql`sum(${sql.ref(c)})::bigint AS ${sql.ref(c)}`),
  )} FROM ${sql.table(table)}
    WHERE tenant_id = ${scope.tenantId} AND hour >= ${scope.range.from} AND hour < ${scope.range.to}
    ${currency === undefined ? sql`` : sql`AND currency = ${currency}`}
    GROUP BY 1`.execute(db);
  return byBucket(rows, stepMs, columns);
}

export async function activeUsersPerBucket(
  db: Kysely<AnalyticsDb>,
  scope: Scope,
  stepMs: number,
): Promise<BucketValues> {
  const { rows } = await sql<Record<string, unknown>>`SELECT ${bucket(stepMs)} AS bucket,
      count(DISTINCT user_id)::bigint AS active_users
    FROM hourly_active_users
    WHERE tenant_id = ${scope.tenantId} AND hour >= ${scope.range.from} AND hour < ${scope.range.to}
    GROUP BY 1`.execute(db);
  return byBucket(rows, stepMs, ['active_users']);
}

function bucket(stepMs: number) {
  const seconds = stepMs / 1000;
  return sql`(floor(extract(epoch FROM hour) / ${sql.lit(seconds)}))::bigint`;
}

function byBucket(
  rows: Record<string, unknown>[],
  stepMs: number,
  columns: readonly string[],
): BucketValues {
  const values: BucketValues = new Map();
  for (const row of rows) {
    const sums: Record<string, number> = {};
    for (const column of columns) sums[column] = toNumber(row[column]);
    values.set(Number(row.bucket) * stepMs, sums);
  }
  return values;
}
