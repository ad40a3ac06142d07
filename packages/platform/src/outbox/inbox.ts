import { sql, type Transaction } from 'kysely';
import type { DeliveredEvent } from '../bus/event-bus.ts';
import type { Database } from '../db/database.ts';

/**
 * How long processed event ids are kept by default: 7 days. It must exceed the longest time
 * the broker may redeliver an event (JetStream's ack wait × max deliveries plus backoff, and
 * the stream's duplicate window), or a late redelivery would apply its effect twice.
 */
export const INBOX_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Runs `effect` once per (consumer, event id): the id is recorded in the same transaction as
 * the effect, so a redelivered or duplicated event changes nothing and resolves false. The
 * insert comes first: a concurrent duplicate waits on the uncommitted key and then finds it,
 * so two deliveries at once apply once. If `effect` throws, nothing is recorded and the
 * broker's redelivery runs it again.
 */
export async function consumeOnce<DB>(
  database: Database<DB>,
  consumer: string,
  eventId: string,
  effect: (trx: Transaction<DB>) => Promise<void>,
): Promise<boolean> {
  return database.transaction(async (trx) => {
    const recorded =
      await sql`INSERT INTO inbox (consumer, event_id) VALUES (${consumer}, ${eventId})
      ON CONFLICT DO NOTHING RETURNING 1 AS fresh`.execute(trx);
    if (recorded.rows.length === 0) return false;
    await effect(trx);
    return true;
  });
}

/** A bus handler that applies `handle` at most once per event for `consumer`. */
export function idempotentHandler<T, DB>(
  database: Database<DB>,
  consumer: string,
  handle: (delivery: DeliveredEvent<T>, trx: Transaction<DB>) => Promise<void>,
): (delivery: DeliveredEvent<T>) => Promise<void> {
  return async (delivery) => {
    await consumeOnce(database, consumer, delivery.event.id, (trx) => handle(delivery, trx));
  };
}

/** Deletes inbox rows older than `olderThanMs`; returns how many. */
export async function pruneInbox(
  database: Database,
  olderThanMs: number = INBOX_RETENTION_MS,
): Promise<number> {
  const result = await sql`DELETE FROM inbox
    WHERE processed_at < now() - (${olderThanMs}::float8 * interval '1 millisecond')`.execute(
    database.db,
  );
  return Number(result.numAffectedRows ?? 0n);
}
