import type { Executor } from './schema.ts';

export interface ThrottleRow {
  key: string;
  failures: number;
  lastFailureAt: Date | null;
  blockedUntil: Date | null;
}

export async function readThrottles(db: Executor, keys: string[]): Promise<ThrottleRow[]> {
  const rows = await db.selectFrom('login_throttle').selectAll().where('key', 'in', keys).execute();
  return rows.map((row) => ({
    key: row.key,
    failures: row.failures,
    lastFailureAt: row.last_failure_at,
    blockedUntil: row.blocked_until,
  }));
}

/** Locks the key's row (creating it) so concurrent failures count one after another. */
export async function lockThrottle(db: Executor, key: string): Promise<ThrottleRow> {
  await db
    .insertInto('login_throttle')
    .values({ key })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await db
    .selectFrom('login_throttle')
    .selectAll()
    .where('key', '=', key)
    .forUpdate()
    .executeTakeFirstOrThrow();
  return {
    key: row.key,
    failures: row.failures,
    lastFailureAt: row.last_failure_at,
    blockedUntil: row.blocked_until,
  };
}

export async function saveThrottle(db: Executor, row: ThrottleRow): Promise<void> {
  await db
    .updateTable('login_throttle')
    .set({
      failures: row.failures,
      last_failure_at: row.lastFailureAt,
      blocked_until: row.blockedUntil,
    })
    .where('key', '=', row.key)
    .execute();
}

export async function clearThrottle(db: Executor, key: string): Promise<void> {
  await db.deleteFrom('login_throttle').where('key', '=', key).execute();
}
