import { type OperationNodeSource, type RawBuilder, sql } from 'kysely';
import type { AppendedRow, StoredEvent } from './event-store.ts';
import { readAllEvents } from './event-store.ts';
import type { Executor } from './schema.ts';

/** A placed order's first row in both read models. */
interface PlacedRow {
  order_id: string;
  tenant_id: string;
  customer_id: string;
  total_cents: number;
  currency: string;
  items: unknown;
  payment_method: string;
  line_count: number;
  at: string;
  version: number;
}

/**
 * A later event's change: a null column is left as it is. `payment_id_if_none` sets the
 * payment only on an order that has none (a late payment's refund keeps the first payment).
 */
interface ChangeRow {
  order_id: string;
  version: number;
  at: string;
  status: 'confirmed' | 'cancelled' | null;
  payment_id: string | null;
  payment_id_if_none: boolean;
  cancellation_reason: string | null;
  refunded_at: string | null;
}

function changeOf(stored: StoredEvent): PlacedRow | ChangeRow {
  const { event, version, streamId } = stored;
  const at = event.data.at;
  if (event.type === 'OrderPlaced') {
    const d = event.data;
    return {
      order_id: streamId,
      tenant_id: d.tenantId,
      customer_id: d.customerId,
      total_cents: d.totalCents,
      currency: d.currency,
      items: d.items,
      payment_method: d.paymentMethod,
      line_count: d.items.length,
      at,
      version,
    };
  }
  const change: ChangeRow = {
    order_id: streamId,
    version,
    at,
    status: null,
    payment_id: null,
    payment_id_if_none: false,
    cancellation_reason: null,
    refunded_at: null,
  };
  switch (event.type) {
    case 'OrderConfirmed':
      return { ...change, status: 'confirmed', payment_id: event.data.paymentId };
    case 'OrderCancelled':
      return {
        ...change,
        status: 'cancelled',
        cancellation_reason: event.data.reason,
        payment_id: event.data.paymentId ?? null,
      };
    case 'RefundRequested':
      return { ...change, payment_id: event.data.paymentId, payment_id_if_none: true };
    case 'PaymentRefunded':
      return { ...change, refunded_at: at };
  }
}

/**
 * Applies domain events to the read models (order_detail, order_list). Each row remembers the
 * last version applied, and every update is guarded by `version < event version`: applying an
 * event twice, or an older one after a newer, changes nothing.
 *
 * The events go to PostgreSQL as one jsonb parameter and are written by the data-modifying
 * CTEs of ONE statement: one round trip for a placement or a whole batch of saga steps. A
 * statement may change a row once only, so a stream's second event goes in a second statement
 * (round), its third in a third: each row then sees its events in order.
 */
export async function projectEvents(db: Executor, events: readonly StoredEvent[]): Promise<void> {
  for (const round of roundsOf(events)) await writeRound(db, round);
}

/**
 * Runs `append` (the event store's INSERT ... RETURNING of `events`) and projects `events`, the
 * first round in the same statement: one round trip for a placement or a batch of saga steps.
 * That round writes nothing unless the INSERT stored every event (a version taken meanwhile),
 * so a conflict leaves the read models as they were. Resolves with the INSERT's rows.
 */
export async function appendAndProject(
  db: Executor,
  append: RawBuilder<AppendedRow>,
  events: readonly StoredEvent[],
): Promise<AppendedRow[]> {
  const [first, ...later] = roundsOf(events);
  const appended = (await writeRound(db, first ?? { placed: [], changed: [] }, {
    append,
    expected: events.length,
  })) as AppendedRow[];
  if (appended.length !== events.length) return appended;
  for (const round of later) await writeRound(db, round);
  return appended;
}

interface Round {
  placed: PlacedRow[];
  changed: ChangeRow[];
}

function roundsOf(events: readonly StoredEvent[]): Round[] {
  const rounds: Round[] = [];
  const seen = new Map<string, number>();
  for (const stored of events) {
    const round = seen.get(stored.streamId) ?? 0;
    seen.set(stored.streamId, round + 1);
    rounds[round] ??= { placed: [], changed: [] };
    const change = changeOf(stored);
    if ('tenant_id' in change) rounds[round].placed.push(change);
    else rounds[round].changed.push(change);
  }
  return rounds;
}

async function writeRound(
  db: Executor,
  rows: Round,
  after?: { append: OperationNodeSource; expected: number },
): Promise<unknown[]> {
  // Gated on the append: the input is empty, and so every write, unless all rows went in.
  const parts = after
    ? roundParts(rows, sql<boolean>`(SELECT count(*) FROM appended) = ${after.expected}`)
    : roundParts(rows, sql<boolean>`true`);
  const { rows: result } = after
    ? await sql`WITH appended AS (${after.append}), ${parts} SELECT * FROM appended`.execute(db)
    : await sql`WITH ${parts} SELECT 1`.execute(db);
  return result;
}

/**
 * The data-modifying CTEs (`input`, `placed`, `changed`, `w0`…) that apply one round of
 * events, for a statement that starts with them or adds them to its own WITH list. Nothing is
 * written unless `gate` holds.
 */
export function projectionParts(events: readonly StoredEvent[], gate: RawBuilder<boolean>) {
  const rounds = roundsOf(events);
  if (rounds.length !== 1) throw new Error('projectionParts takes one event per stream');
  return roundParts(rounds[0] as Round, gate);
}

function roundParts(rows: Round, gate: RawBuilder<boolean>): RawBuilder<unknown> {
  const parts = [];
  if (rows.placed.length > 0) parts.push(DETAIL_INSERT, LIST_INSERT);
  if (rows.changed.length > 0) parts.push(DETAIL_UPDATE, LIST_UPDATE);
  const ctes = parts.map((part, i) => sql`${sql.raw(`w${i}`)} AS (${part})`);
  return sql`input AS (SELECT ${JSON.stringify(rows)}::jsonb AS j WHERE ${gate}),
    placed AS (
      SELECT r.* FROM input, jsonb_to_recordset(input.j -> 'placed') AS r(
        order_id uuid, tenant_id text, customer_id text, total_cents bigint, currency text,
        items jsonb, payment_method text, line_count integer, at timestamptz, version integer)
    ),
    changed AS (
      SELECT r.* FROM input, jsonb_to_recordset(input.j -> 'changed') AS r(
        order_id uuid, version integer, at timestamptz, status text, payment_id text,
        payment_id_if_none boolean, cancellation_reason text, refunded_at timestamptz)
    )${parts.length > 0 ? sql`, ${sql.join(ctes)}` : sql``}`;
}

const DETAIL_INSERT = sql`INSERT INTO order_detail (order_id, tenant_id, customer_id, status,
    total_cents, currency, created_at, updated_at, version, items, payment_method)
  SELECT order_id, tenant_id, customer_id, 'pending', total_cents, currency, at, at, version,
    items, payment_method
  FROM placed
  ON CONFLICT (order_id) DO NOTHING`;

const LIST_INSERT = sql`INSERT INTO order_list (order_id, tenant_id, customer_id, status,
    total_cents, currency, created_at, updated_at, version, line_count)
  SELECT order_id, tenant_id, customer_id, 'pending', total_cents, currency, at, at, version,
    line_count
  FROM placed
  ON CONFLICT (order_id) DO NOTHING`;

// The `= ANY(ARRAY(...))` is what makes PostgreSQL find the rows by primary key: it reckons
// with 100 rows from jsonb_to_recordset and, joining on that alone, chooses a hash join over
// the whole read model — a cost that grows with every order ever placed, and a plan that a
// prepared statement keeps.
const DETAIL_UPDATE = sql`UPDATE order_detail d SET
    status = coalesce(c.status, d.status),
    payment_id = CASE
      WHEN c.payment_id IS NULL THEN d.payment_id
      WHEN c.payment_id_if_none THEN coalesce(d.payment_id, c.payment_id)
      ELSE c.payment_id END,
    cancellation_reason = coalesce(c.cancellation_reason, d.cancellation_reason),
    refunded_at = coalesce(c.refunded_at, d.refunded_at),
    updated_at = c.at,
    version = c.version
  FROM changed c
  WHERE d.order_id = c.order_id AND d.version < c.version
    AND d.order_id = ANY(ARRAY(SELECT order_id FROM changed))`;

const LIST_UPDATE = sql`UPDATE order_list l SET
    status = coalesce(c.status, l.status),
    updated_at = c.at,
    version = c.version
  FROM changed c
  WHERE l.order_id = c.order_id AND l.version < c.version
    AND l.order_id = ANY(ARRAY(SELECT order_id FROM changed))`;

/**
 * Empties the read models and replays every event of the store into them, in `db` (pass a
 * transaction: readers then see the old models until the new ones are complete). Resolves
 * with the number of events applied.
 */
export async function rebuildProjections(db: Executor): Promise<{ events: number }> {
  await sql`TRUNCATE order_detail, order_list`.execute(db);
  let events = 0;
  for await (const batch of readAllEvents(db)) {
    await projectEvents(db, batch);
    events += batch.length;
  }
  return { events };
}
