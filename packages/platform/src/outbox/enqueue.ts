import { sql, type Transaction } from 'kysely';
import type { CloudEvent } from '../bus/event-bus.ts';
import { activeTraceparent } from '../telemetry/traced-bus.ts';

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

/**
 * Writes `events` to the outbox in the caller's transaction, so they exist if and only if the
 * state change they describe commits. The relay publishes them in this order per aggregate
 * (`subject`); writers of one aggregate must serialise (e.g. by updating its row first), as
 * the outbox order is the order of `seq`, taken at insert time.
 */
export async function enqueue<DB>(
  trx: Transaction<DB>,
  events: CloudEvent | CloudEvent[],
): Promise<void> {
  const list = (Array.isArray(events) ? events : [events]).map(withActiveTrace);
  if (list.length === 0) return;
  for (const event of list) check(event);
  for (let start = 0; start < list.length; start += ROWS_PER_INSERT) {
    const rows = list
      .slice(start, start + ROWS_PER_INSERT)
      .map(
        (event) =>
          sql`(${event.id}::uuid, ${event.subject}, ${event.type}, ${JSON.stringify(event)}::jsonb, ${event.traceparent ?? null})`,
      );
    const insert = sql`INSERT INTO outbox (id, aggregate, type, event, traceparent) VALUES ${sql.join(rows)}`;
    if (start + ROWS_PER_INSERT < list.length) {
      await insert.execute(trx);
      continue;
    }
    // The last insert carries the wake-up, one round trip for both (a data-modifying WITH runs
    // whether or not the query reads it). NOTIFY is delivered on commit only, so the relay
    // never wakes for a rolled-back event. current_schema() is the service's schema: the
    // Database port puts it first on the path.
    await sql`WITH written AS (${insert}) SELECT pg_notify('lattice_outbox_' || current_schema(), '')`.execute(
      trx,
    );
  }
}
