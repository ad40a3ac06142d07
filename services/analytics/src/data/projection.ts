import { type RawBuilder, sql, type Transaction } from 'kysely';
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

type Row = Record<string, unknown>;

/**
 * Applies events to the read models: the live consumer applies an inbox batch (or one event,
 * when a batch failed and is retried event by event), a rebuild a batch of the source —
 * through this same function, so a rebuild reproduces the live result. Each event is appended
 * to the event log; the effects are summed per row in memory first (one row may not be updated
 * twice by one INSERT ... ON CONFLICT), then added with upserts that only ever increment, so
 * concurrent writers never lose an update. All of it is ONE statement whatever the batch size
 * (see `writeRows`).
 */
export async function applyEvents(
  trx: Transaction<AnalyticsDb>,
  events: ProjectedEvent[],
  options: { log?: boolean } = {},
): Promise<void> {
  if (events.length === 0) return;
  const counts = new Map<string, Row>();
  const money = new Map<string, Row>();
  const active = new Map<string, Row>();
  const log: Row[] = [];
  for (const event of events) {
    const data = minimalData(event.data);
    const hour = hourOf(event.time).toISOString();
    const tenant = event.tenantid;
    const effect: Effect = effectOf(event.type, data);
    log.push({
      event_id: event.id,
      type: event.type,
      tenant_id: tenant,
      event_time: new Date(Date.parse(event.time)).toISOString(),
      event: { ...event, data },
    });
    const at = `${tenant}\u0000${hour}`;
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
  await writeRows(trx, {
    log: options.log === false ? [] : log,
    counts: [...counts.values()],
    money: [...money.values()],
    active: [...active.values()],
  });
}

/**
 * The batch's rows go to PostgreSQL as ONE jsonb parameter, spread into rows by
 * jsonb_to_recordset, and written by data-modifying CTEs of one statement: a round trip and a
 * parse per batch instead of one per table, and a query whose text (and parameter count) does
 * not grow with the batch, so building it costs the same for one event or a hundred. The
 * tables are distinct, so no row is touched twice by the statement.
 */
async function writeRows(
  trx: Transaction<AnalyticsDb>,
  rows: { log: Row[]; counts: Row[]; money: Row[]; active: Row[] },
): Promise<void> {
  const parts: RawBuilder<unknown>[] = [];
  if (rows.log.length > 0) parts.push(LOG_INSERT);
  if (rows.counts.length > 0) parts.push(COUNTS_UPSERT);
  if (rows.money.length > 0) parts.push(MONEY_UPSERT);
  if (rows.active.length > 0) parts.push(ACTIVE_INSERT);
  if (parts.length === 0) return;
  const ctes = parts.map((part, i) => sql`${sql.raw(`w${i}`)} AS (${part})`);
  await sql`WITH input AS (SELECT ${JSON.stringify(rows)}::jsonb AS j), ${sql.join(ctes)}
    SELECT 1`.execute(trx);
}

const LOG_INSERT = sql`INSERT INTO event_log (event_id, type, tenant_id, event_time, event)
  SELECT r.event_id, r.type, r.tenant_id, r.event_time, r.event
  FROM input, ROWS FROM (jsonb_to_recordset(input.j -> 'log')
    AS (event_id text, type text, tenant_id text, event_time timestamptz, event jsonb))
    WITH ORDINALITY AS r(event_id, type, tenant_id, event_time, event, n)
  -- seq follows the order the events were applied in, as a rebuild from the log reads them.
  ORDER BY r.n
  ON CONFLICT (event_id) DO NOTHING`;

const COUNTS_UPSERT = upsert('hourly_counts', 'counts', ['tenant_id', 'hour'], COUNT_COLUMNS);

const MONEY_UPSERT = upsert(
  'hourly_money',
  'money',
  ['tenant_id', 'hour', 'currency'],
  MONEY_COLUMNS,
);

const ACTIVE_INSERT = sql`INSERT INTO hourly_active_users (tenant_id, hour, user_id)
  SELECT r.tenant_id, r.hour, r.user_id
  FROM input, jsonb_to_recordset(input.j -> 'active') AS r(tenant_id text, hour timestamptz, user_id text)
  ON CONFLICT (tenant_id, hour, user_id) DO NOTHING`;

/** `INSERT ... SELECT` of the batch's summed rows, `SET n = table.n + excluded.n` on conflict. */
function upsert(
  table: 'hourly_counts' | 'hourly_money',
  field: 'counts' | 'money',
  keys: readonly string[],
  counters: readonly string[],
): RawBuilder<unknown> {
  const keyTypes = keys.map((k) => `${k} ${k === 'hour' ? 'timestamptz' : 'text'}`);
  const columns = [...keys, ...counters].join(', ');
  return sql.raw(`INSERT INTO ${table} (${columns})
  SELECT ${[...keys, ...counters].map((c) => `r.${c}`).join(', ')}
  FROM input, jsonb_to_recordset(input.j -> '${field}')
    AS r(${[...keyTypes, ...counters.map((c) => `${c} bigint`)].join(', ')})
  ON CONFLICT (${keys.join(', ')}) DO UPDATE SET
    ${counters.map((c) => `${c} = ${table}.${c} + excluded.${c}`).join(', ')}`);
}

function zeroRow(key: Row, columns: readonly string[]): Row {
  const row: Row = { ...key };
  for (const column of columns) row[column] = 0;
  return row;
}

function addInto(row: Row, amounts: Record<string, number | undefined>) {
  for (const [column, amount] of Object.entries(amounts)) {
    row[column] = (row[column] as number) + (amount ?? 0);
  }
}
