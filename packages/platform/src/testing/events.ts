import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { CloudEvent, EventBus } from '../bus/event-bus.ts';
import type { Database } from '../db/database.ts';

/** Polls `check` until it answers something other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 5_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Everything published on `bus` on `subjects`, as a test consumer group sees it. A new group
 * reads the bus from its start, so events published before the call are included.
 */
export async function watchBus(bus: EventBus, subjects: string[]) {
  const seen: CloudEvent[] = [];
  const subscription = await bus.subscribe({
    group: `test_${randomBytes(6).toString('hex')}`,
    subjects,
    handler: async ({ event }) => {
      seen.push(event);
    },
  });
  return {
    seen,
    /** The first event about `subject` (the CloudEvent subject: an aggregate id). */
    about: (subject: string) =>
      eventually(`an event about ${subject}`, async () => seen.find((e) => e.subject === subject)),
    stop: () => subscription.drain(),
  };
}

/** Rows of the kit's outbox about `aggregate` (the CloudEvent subject), sent or not. */
export async function outboxRows(database: Database, aggregate: string) {
  const { rows } = await sql<{
    id: string;
    aggregate: string;
    type: string;
    event: unknown;
    sent_at: Date | null;
  }>`SELECT id, aggregate, type, event, sent_at FROM outbox WHERE aggregate = ${aggregate}`.execute(
    database.db,
  );
  return rows.map((row) => ({
    ...row,
    // pg parses jsonb; PGlite may hand back the text.
    event: (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as CloudEvent,
  }));
}
