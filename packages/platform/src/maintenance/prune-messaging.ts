import type { EventBus } from '../bus/event-bus.ts';
import type { Database } from '../db/database.ts';
import { pruneInbox } from '../outbox/inbox.ts';
import { OutboxRelay } from '../outbox/relay.ts';

export interface PruneRetention {
  /** Sent outbox rows older than this (by `sent_at`) are deleted; unsent rows never are. */
  outboxRetentionMs: number;
  /** Inbox rows older than this (by `processed_at`) are deleted. */
  inboxRetentionMs: number;
}

export interface PruneCounts {
  outbox: number;
  inbox: number;
}

/**
 * Deletes published outbox rows and processed inbox rows past their retention, with the
 * kit's own helpers: the relay's chunked cleanup (a relay that is never started, so nothing
 * is published from here) and `pruneInbox`. Both deletes are idempotent: several instances
 * or an overlapping sweep only find less to delete.
 */
export async function pruneMessagingTables(
  database: Database,
  bus: EventBus,
  retention: PruneRetention,
): Promise<PruneCounts> {
  const cleaner = new OutboxRelay({ database, bus, retentionMs: retention.outboxRetentionMs });
  const outbox = await cleaner.cleanup();
  const inbox = await pruneInbox(database, retention.inboxRetentionMs);
  return { outbox, inbox };
}
