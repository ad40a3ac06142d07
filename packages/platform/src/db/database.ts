import type { Kysely, Transaction } from 'kysely';
import type { Listen } from '../outbox/listen.ts';

/**
 * The `Database` port a service receives. Its queries run confined to the service's own
 * schema (search_path and a role that owns only that schema), on PGlite in embedded mode and
 * on the service's own PostgreSQL database in distributed mode, with the same migrations.
 */
export interface Database<DB = any> {
  readonly kind: 'pglite' | 'postgres';
  /** The service's schema: tables are created and found there. */
  readonly schema: string;
  readonly db: Kysely<DB>;
  /**
   * Runs `work` in one transaction: committed if it resolves, rolled back if it throws. Once
   * it committed, it wakes this process's listeners its statements asked for (`commitWake`).
   */
  transaction<T>(work: (trx: Transaction<DB>) => Promise<T>): Promise<T>;
  /**
   * Listens on a channel of this database: wake-ups at commit from this process
   * (`commitWake`) and NOTIFY from the others. It wakes the outbox relay and the services'
   * work loops.
   */
  readonly listen: Listen;
  /** Resolves when the database answers a query; used by readiness. */
  ping(): Promise<void>;
  /** Connection pool occupancy, for metrics; PGlite's single shared connection is a pool of one. */
  pool?(): { size: number; idle: number; waiting: number; max: number };
  close(): Promise<void>;
}
