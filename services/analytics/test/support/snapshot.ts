import type { Database } from '@lattice/platform';
import { sql } from 'kysely';
import type { AnalyticsDb } from '../../src/data/schema.ts';

/**
 * Every read-model row of `tenants`, in a stable order and plain JSON values: what "the live
 * result" is when comparing it with a rebuilt one.
 */
export async function readModelRows(database: Database<AnalyticsDb>, tenants: string[]) {
  const rows = async (table: string, order: string) => {
    const { rows } = await sql<Record<string, unknown>>`SELECT * FROM ${sql.table(table)}
      WHERE tenant_id = ANY(${tenants}::text[]) ORDER BY ${sql.raw(order)}`.execute(database.db);
    return rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([key, value]) => [
          key,
          value instanceof Date
            ? value.toISOString()
            : typeof value === 'bigint'
              ? Number(value)
              : value,
        ]),
      ),
    );
  };
  return {
    hourly_counts: await rows('hourly_counts', 'tenant_id, hour'),
    hourly_money: await rows('hourly_money', 'tenant_id, hour, currency'),
    hourly_active_users: await rows('hourly_active_users', 'tenant_id, hour, user_id'),
  };
}
