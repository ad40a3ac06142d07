import {
  type Compilable,
  type Kysely,
  type OperationNodeSource,
  type RawBuilder,
  sql,
  type Transaction,
} from 'kysely';
import type { CloudEvent } from '../bus/event-bus.ts';
import { type CommitWake, commitWake, schemaOf } from '../db/commit-wakes.ts';
import { activeTraceparent } from '../telemetry/traced-bus.ts';

/** The outbox rows of `events`, checked, each under the trace that records it. */
function outboxRows(events: CloudEvent | CloudEvent[]) {
  const list = (Array.isArray(events) ? events : [events]).map(withActiveTrace);
  for (const event of list) check(event);
  return list.map(
    (event) =>
      sql`(${event.id}::uuid, ${event.subject}, ${event.type}, ${JSON.stringify(event)}::jsonb, ${event.traceparent ?? null})`,
  );
}

/** The channel the relay of `schema` listens on; fits Postgres's 63-byte limit (schemas ≤ 48). */
export function outboxChannel(schema: string): string {
  return `lattice_outbox_${schema}`;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// Five parameters a row; Postgres takes at most 65535 per statement.
const ROWS_PER_INSERT = 1000;

function check(event: CloudEvent): void {
  // A bad event must fail the writer's transaction, not block the relay later.
  if (!UUID.test(event.id)) throw new TypeError(`Outbox event id must be a UUID: ${event.id}`);
  if (!event.subject) throw new TypeError(`Outbox event ${event.id} has no subject (aggregate)`);
  if (!event.type) throw new TypeError(`Outbox event ${event.id} has no type`);
}

/**
 * The row keeps the context of the span that recorded the event (the request's, or a saga
 * step's), so the relay's publish and the consumers join that trace under it. A traceparent
 * of another trace, set on purpose by the caller, is kept.
 */
function withActiveTrace(event: CloudEvent): CloudEvent {
  const active = activeTraceparent();
  if (!active || event.traceparent === active) return event;
  if (event.traceparent && event.traceparent.slice(3, 35) !== active.slice(3, 35)) return event;
  return { ...event, traceparent: active };
}

/** A write that goes along with an outbox insert, in its statement. */
export type Write = Compilable<unknown> & OperationNodeSource;

/**
 * Writes `events` to the outbox in the caller's transaction, so they exist if and only if the
 * state change they describe commits. The relay publishes them in this order per aggregate
 * (`subject`); writers of one aggregate must serialise (e.g. by updating its row first), as
 * the outbox order is the order of `seq`, taken at insert time.
 *
 * `along` are the caller's own writes that need nothing back, sent in the same statement as
 * data-modifying CTEs: one round trip for all. They must not depend on one another's rows (a
 * statement's parts all see the database as it was before it).
 */
export async function enqueue<DB>(
  trx: Transaction<DB>,
  events: CloudEvent | CloudEvent[],
  along: readonly Write[] = [],
): Promise<void> {
  const list = outboxRows(events);
  if (list.length === 0) {
    for (const write of along) await sql`${write}`.execute(trx);
    return;
  }
  for (let start = 0; start < list.length; start += ROWS_PER_INSERT) {
    const insert = sql`INSERT INTO outbox (id, aggregate, type, event, traceparent) VALUES ${sql.join(list.slice(start, start + ROWS_PER_INSERT))}`;
    if (start + ROWS_PER_INSERT < list.length) {
      await insert.execute(trx);
      continue;
    }
    // The last insert carries the wake-up, one round trip for both (a data-modifying WITH runs
    // whether or not the query reads it). The relay wakes at commit only, never for a
    // rolled-back event.
    const wake = outboxWake(trx);
    const writes = along.map((write, i) => sql`${sql.raw(`along_${i}`)} AS (${write}), `);
    await sql`WITH ${sql.join(writes, sql``)}written AS (${insert}) SELECT ${wake.notify}`.execute(
      trx,
    );
    wake.wrote();
  }
}

/**
 * A state change and the events that announce it in ONE statement, so one round trip and no
 * transaction: `change` is an UPDATE or INSERT ... RETURNING, and the events are written to the
 * outbox only if it returned a row (a change that found nothing to change announces nothing).
 * A statement is atomic on its own, so the events exist if and only if the change does. It
 * resolves with the change's first row, or undefined. The events must not depend on what the
 * change read: build them from what it writes.
 */
export async function enqueueWithChange<DB, Row>(
  db: Kysely<DB> | Transaction<DB>,
  change: Compilable<Row> & OperationNodeSource,
  events: CloudEvent | CloudEvent[],
): Promise<Row | undefined> {
  const rows = outboxRows(events);
  if (rows.length === 0) return (await sql<Row>`${change}`.execute(db)).rows[0];
  const wake = outboxWake(db);
  const result = await sql<Row & { lattice_outbox_notified?: unknown }>`WITH changed AS (${change}),
    written AS (${outboxInsertOf(rows, sql<boolean>`EXISTS (SELECT 1 FROM changed)`)})
    SELECT changed.*, ${wake.notify} AS lattice_outbox_notified FROM changed`.execute(db);
  const first = result.rows[0];
  if (!first) return undefined;
  wake.wrote();
  delete first.lattice_outbox_notified;
  return first as Row;
}

/**
 * The relay's wake-up by a statement on `executor` that writes to the outbox: select its
 * `notify` in the statement (from written rows only), and call `wrote()` once it wrote. The
 * relay of this process is woken at commit; a NOTIFY goes out only when none listens here or
 * the commit is out of this process's sight (see `commitWake`).
 */
export function outboxWake(executor: object): CommitWake {
  const schema = schemaOf(executor);
  return schema === undefined
    ? // current_schema() is the service's schema: the Database port puts it first on the path.
      {
        local: false,
        notify: sql`pg_notify('lattice_outbox_' || current_schema(), '')`,
        wrote: () => {},
      }
    : commitWake(executor, outboxChannel(schema));
}

/**
 * The outbox insert of `events` as a part of the caller's own statement (a data-modifying
 * CTE), written only where `gate` holds: for a change that must be one statement. Select
 * `outboxWake(executor).notify` in the same statement when the gate held.
 */
export function outboxInsert(
  events: CloudEvent | CloudEvent[],
  gate: RawBuilder<boolean>,
): RawBuilder<unknown> {
  return outboxInsertOf(outboxRows(events), gate);
}

function outboxInsertOf(rows: RawBuilder<unknown>[], gate: RawBuilder<boolean>) {
  if (rows.length > ROWS_PER_INSERT) throw new RangeError('too many events for one statement');
  return sql`INSERT INTO outbox (id, aggregate, type, event, traceparent)
    SELECT * FROM (VALUES ${sql.join(rows)}) AS e WHERE ${gate}`;
}
