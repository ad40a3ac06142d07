import { sql, type Transaction } from 'kysely';
import { type Effect, effectOf, hourOf, minimalData } from '../domain/effects.ts';
import { type AnalyticsDb, COUNT_COLUMNS, MONEY_COLUMNS } from './schema.ts';

/** What the read models need of a CloudEvent (a full one, or a row of the event log). */
export interface ProjectedEvent {
  id: string;
  type: string;
  tenantid: string;
  time: string;
  data: unknown;
}

/**
 * Applies events to the read models: the live consumer applies one at a time, a rebuild a
 * batch — through this same function, so a rebuild reproduces the live result. Each event is
 * appended to the event log; the effects are summed per row in memory first (one statement
 * per table, and one row may not be updated twice by one INSERT ... ON CONFLICT), then added
 * with upserts that only ever increment, so concurrent writers never lose an update.
 */
export async function applyEvents(
  trx: Transaction<AnalyticsDb>,
  events: ProjectedEvent[],
  options: { log?: boolean } = {},
): Promise<void> {
  if (events.length === 0) return;
  const counts = new Map<string, Record<string, unknown>>();
  const money = new Map<string, Record<string, unknown>>();
  const active = new Map<string, { tenant_id: string; hour: Date; user_id: string }>();
  const log: Array<Record<string, unknown>> = [];
  for (const event of events) {
    const data = minimalData(event.data);
    const hour = hourOf(event.time);
    const tenant = event.tenantid;
    const effect: Effect = effectOf(event.type, data);
    log.push({
      event_id: event.id,
      type: event.type,
      tenant_id: tenant,
      event_time: new Date(Date.parse(event.time)),
      event: JSON.stringify({ ...event, data }),
    });
    const at = `${tenant}\u0000${hour.toISOString()}`;
    if (Object.keys(effect.counts).length > 0) {
      const row = counts.get(at) ?? zeroRow({ tenant_id: tenant, hour }, COUNT_COLUMNS);
      addInto(row, effect.counts);
      counts.set(at, row);
    }
    if (effect.money) {
      const { currency, ...amounts } = effect.money;
      const key = `${at}\u0000${currency}`;
      const row = money.get(key) ?? zeroRow({ tenant_id: tenant, hour, currency }, MONEY_COLUMNS);
      addInto(row, amounts);
      money.set(key, row);
    }
    if (effect.activeUser) {
      const user = effect.activeUser;
      active.set(`${at}\u0000${user}`, { tenant_id: tenant, hour, user_id: user });
    }
  }

  // A rebuild from the event log reads these rows: it does not write them again.
  if (options.log !== false) {
    await trx
      .insertInto('event_log')
      .values(log as never)
      .onConflict((oc) => oc.column('event_id').doNothing())
      .execute();
  }
  if (counts.size > 0) {
    await trx
      .insertInto('hourly_counts')
      .values([...counts.values()] as never)
      .onConflict((oc) =>
        oc.columns(['tenant_id', 'hour']).doUpdateSet(increments('hourly_counts', COUNT_COLUMNS)),
      )
      .execute();
  }
  if (money.size > 0) {
    await trx
      .insertInto('hourly_money')
      .values([...money.values()] as never)
      .onConflict((oc) =>
        oc
          .columns(['tenant_id', 'hour', 'currency'])
          .doUpdateSet(increments('hourly_money', MONEY_COLUMNS)),
      )
      .execute();
  }
  if (active.size > 0) {
    await trx
      .insertInto('hourly_active_users')
      .values([...active.values()])
      .onConflict((oc) => oc.columns(['tenant_id', 'hour', 'user_id']).doNothing())
      .execute();
  }
}

function zeroRow(
  key: Record<string, unknown>,
  columns: readonly string[],
): Record<string, unknown> {
  const row: Record<string, unknown> = { ...key };
  for (const column of columns) row[column] = 0;
  return row;
}

function addInto(row: Record<string, unknown>, amounts: Record<string, number | undefined>) {
  for (const [column, amount] of Object.entries(amounts)) {
    row[column] = (row[column] as number) + (amount ?? 0);
  }
}

/** `SET n = table.n + excluded.n` for every counter column. */
function increments(table: 'hourly_counts' | 'hourly_money', columns: readonly string[]) {
  const set: Record<string, unknown> = {};
  for (const column of columns) {
    set[column] = sql`${sql.ref(`${table}.${column}`)} + excluded.${sql.ref(column)}`;
  }
  return set as never;
}
