import { sql } from 'kysely';
import type { Executor } from '../data/schema.ts';

/** NOTIFY channels are per database, and embedded services share one: the schema names them. */
export function channelsOf(schema: string) {
  return {
    pending: `lattice_notifications_${schema}_pending`,
    published: `lattice_notifications_${schema}_published`,
  };
}

/**
 * Delivered at commit to every instance listening, never if the transaction rolls back: for
 * what every instance must hear (a published notification reaches the live streams held by
 * any of them).
 */
export async function notifyAtCommit(trx: Executor, channel: string): Promise<void> {
  await sql`SELECT pg_notify(${channel}, '')`.execute(trx);
}
