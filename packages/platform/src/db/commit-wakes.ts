import {
  type Kysely,
  type QueryExecutorProvider,
  type RawBuilder,
  sql,
  type Transaction,
} from 'kysely';
import type { Listen } from '../outbox/listen.ts';

/**
 * Wake-ups at commit inside one process. A service's writers and the loops they wake (the
 * outbox relay, the payments runner, the notifications publisher) run in the same process, so
 * telling them needs no NOTIFY. And a NOTIFY is dear: PostgreSQL takes one server-wide lock
 * for every committing transaction that notifies, and holds it through the commit's WAL
 * flush, so those commits queue behind one another across every database of the server
 * (bench/README.md: 2 000–2 500 of them a second on a 2-core VM, against 7 000–8 000 commits
 * without NOTIFY).
 *
 * A write still NOTIFYs when no loop of this process listens on the channel (another
 * instance's must hear it), or when this process cannot see its commit: a statement on an
 * executor the `Database` port did not hand out (a transaction opened with
 * `db.transaction()` directly, a `withPlugin` copy).
 */
export class CommitWakes {
  readonly #listeners = new Map<string, Set<() => void>>();
  /** The service's schema, which names its outbox channel. */
  readonly schema: string;

  /** `db` is the service's own: a statement on it outside a transaction commits as it returns. */
  constructor(schema: string, db: object) {
    this.schema = schema;
    seen.set(db, { wakes: this });
  }

  /** Whether a loop of this process listens on `channel`. */
  listening(channel: string): boolean {
    return (this.#listeners.get(channel)?.size ?? 0) > 0;
  }

  /** Calls `listener` at each commit in this process that wakes `channel`; returns the unsubscribe. */
  on(channel: string, listener: () => void): () => void {
    let listeners = this.#listeners.get(channel);
    if (!listeners) {
      listeners = new Set();
      this.#listeners.set(channel, listeners);
    }
    // A wrapper per subscription, so one listener subscribed twice is two subscriptions.
    const subscription = () => listener();
    listeners.add(subscription);
    return () => {
      listeners.delete(subscription);
      if (listeners.size === 0 && this.#listeners.get(channel) === listeners) {
        this.#listeners.delete(channel);
      }
    };
  }

  /** Tells this process's listeners of `channel` now. */
  wake(channel: string): void {
    const listeners = this.#listeners.get(channel);
    if (!listeners) return;
    for (const listener of [...listeners]) {
      try {
        listener();
      } catch (error) {
        // The transaction has committed: its caller must not see a listener's bug as its own
        // failure. Thrown on its own, as a throwing NOTIFY handler would be.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }

  /**
   * The port's `transaction`: runs `work` in one transaction and, once it committed, wakes
   * the channels its statements asked for. A rollback wakes nothing.
   */
  async transaction<DB, T>(db: Kysely<DB>, work: (trx: Transaction<DB>) => Promise<T>): Promise<T> {
    const outcome: TransactionWakes = { channels: new Set(), ended: undefined };
    let result: T;
    try {
      result = await db.transaction().execute((trx) => {
        seen.set(trx, { wakes: this, transaction: outcome });
        return work(trx);
      });
    } catch (error) {
      outcome.ended = 'rolled back';
      throw error;
    }
    outcome.ended = 'committed';
    for (const channel of outcome.channels) this.wake(channel);
    return result;
  }

  /** The port's `listen`: `listen` (NOTIFY from other processes) plus this process's wake-ups. */
  listenWith(listen: Listen): Listen {
    return async (channel, onNotify) => {
      const off = this.on(channel, onNotify);
      try {
        const stop = await listen(channel, onNotify);
        return async () => {
          off();
          await stop();
        };
      } catch (error) {
        off();
        throw error;
      }
    };
  }
}

interface TransactionWakes {
  /** The channels to wake once the transaction commits. */
  channels: Set<string>;
  /** Set when it ended: a write noted later (a promise `work` did not await) acts on it. */
  ended: 'committed' | 'rolled back' | undefined;
}

interface Seen {
  wakes: CommitWakes;
  /** Set for a transaction. */
  transaction?: TransactionWakes;
}

// Keyed by the executor objects the port hands out; a finished transaction's entry goes with it.
const seen = new WeakMap<object, Seen>();

/** How one write wakes a channel's listeners once it commits. */
export interface CommitWake {
  /** True when the wake-up stays in this process (`notify` is then NULL). */
  readonly local: boolean;
  /**
   * To select in the writing statement: a NOTIFY when the wake-up has to go through
   * PostgreSQL, NULL when it stays in this process. A NOTIFY is sent only if the statement's
   * transaction commits; select it only from rows that were written.
   */
  readonly notify: RawBuilder<unknown>;
  /** Call after the statement returned, if it wrote: wakes this process's listeners at commit. */
  wrote(): void;
}

/** The wake-up of `channel` by a statement on `executor` (`notify` is the fallback NOTIFY). */
export function commitWake(
  executor: object,
  channel: string,
  notify: RawBuilder<unknown> = notifySql(channel),
): CommitWake {
  const found = seen.get(executor);
  if (!found?.wakes.listening(channel)) return { local: false, notify, wrote: () => {} };
  const { wakes, transaction } = found;
  return {
    local: true,
    notify: sql`NULL`,
    wrote: () => {
      if (transaction?.ended === undefined) transaction?.channels.add(channel);
      if (transaction === undefined || transaction.ended === 'committed') wakes.wake(channel);
    },
  };
}

/**
 * Wakes `channel`'s listeners once the transaction of `executor` commits (at once for a
 * statement outside one): in this process when a loop listens here, else by a NOTIFY
 * statement. For a wake-up that is not part of a writing statement.
 */
export async function wakeAtCommit(
  executor: QueryExecutorProvider,
  channel: string,
): Promise<void> {
  const wake = commitWake(executor, channel);
  if (wake.local) wake.wrote();
  else await sql`SELECT ${wake.notify}`.execute(executor);
}

/**
 * Wakes `channel`'s listeners in every process, this one's included, once the transaction of
 * `executor` commits: a NOTIFY. For work every instance should hear of, such as work this
 * instance has no room for.
 */
export async function notifyAtCommit(
  executor: QueryExecutorProvider,
  channel: string,
): Promise<void> {
  await sql`SELECT ${notifySql(channel)}`.execute(executor);
}

function notifySql(channel: string): RawBuilder<unknown> {
  return sql`pg_notify(${channel}, '')`;
}

/** The schema of the service whose port handed out `executor`, if it did. */
export function schemaOf(executor: object): string | undefined {
  return seen.get(executor)?.wakes.schema;
}
