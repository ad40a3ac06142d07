import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { CloudEvent, EventBus } from '../bus/event-bus.ts';
import type { Database } from '../db/database.ts';
import { withTimeout } from '../with-timeout.ts';
import { outboxChannel } from './enqueue.ts';
import type { Listen } from './listen.ts';

export type OutboxLogger = Pick<Logger, 'debug' | 'warn' | 'error'>;

/** Hooks for metrics and tests. They run on the relay's path: keep them quick. */
export interface OutboxRelayObserver {
  /**
   * After the broker acknowledged a batch and it was marked sent, before the commit. Throwing
   * rolls the marking back, as a crash at that point would: the batch is published again
   * (at-least-once; the broker deduplicates by event id). Must not query the database (on
   * PGlite the relay's transaction holds the only connection).
   */
  beforeCommit?(events: CloudEvent[]): void | Promise<void>;
  /** After a batch was marked sent and committed. */
  sent?(events: CloudEvent[], durationMs: number): void;
  /** A round failed (publish, database); retried after `backoff`. */
  failed?(error: unknown, consecutiveFailures: number): void;
  /** Sent rows past retention were deleted. */
  cleaned?(deleted: number): void;
}

export interface OutboxRelayOptions {
  database: Database;
  bus: EventBus;
  /** Events per publish and transaction; default 100. */
  batchSize?: number;
  /** How often the outbox is read when no NOTIFY arrives; default 1000 ms. */
  pollIntervalMs?: number;
  /** How long sent rows are kept (for inspection and replay); default 1 h. */
  retentionMs?: number;
  /** How often sent rows past retention are deleted; default min(retention, 60 s). */
  cleanupIntervalMs?: number;
  /**
   * Longest wait for the broker's ack before the batch is rolled back and retried; default
   * 10 s. It bounds how long the batch's row locks (and, on PGlite, the shared connection) are held.
   */
  publishTimeoutMs?: number;
  /** Delay after a failed round: `initialMs` doubling to `maxMs`, with jitter; default 100 ms to 30 s. */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * Wakes the relay when an enqueue commits: `database.listen` (this process's writes, and
   * NOTIFY from writers elsewhere); without it the relay only polls.
   */
  listen?: Listen;
  logger?: OutboxLogger;
  observer?: OutboxRelayObserver;
}

export interface OutboxLag {
  unsent: number;
  /** Age of the oldest unsent event; 0 when none. */
  oldestUnsentAgeMs: number;
}

/** How soon a relay that found another instance leading looks again. */
const LEADER_RETRY_MS = 25;

interface Waiter {
  done: () => void;
  byNotify: boolean;
}

interface BatchOutcome {
  /** False when another instance held the leader lock this round. */
  leader: boolean;
  published: number;
}

/**
 * Publishes the outbox of one service to the bus and marks each batch sent only after the
 * broker acknowledged it, in the same transaction that locked the rows. A crash anywhere
 * leaves the batch unsent (rolled back) and it is published again: nothing is lost,
 * duplicates carry the same event id and are dropped by the broker.
 *
 * Order per aggregate under several instances: each batch runs under a transaction-level
 * advisory lock on the service's schema, so one instance publishes at a time (a leader per
 * batch, taken with pg_try_advisory_xact_lock so the others do not queue up behind it). The
 * leader always takes the oldest unsent rows, in `seq` order. Rows are locked FOR UPDATE
 * without SKIP LOCKED: no other relay can hold them, and skipping a row locked by anything
 * else would publish a later event of its aggregate first. The cost is that publishing does
 * not scale out across instances; a batch of 100 per broker round trip is far above what one
 * service writes, and the instances stand in for each other when one dies.
 */
export class OutboxRelay {
  readonly #database: Database;
  readonly #bus: EventBus;
  readonly #batchSize: number;
  readonly #pollIntervalMs: number;
  readonly #retentionMs: number;
  readonly #cleanupIntervalMs: number;
  readonly #publishTimeoutMs: number;
  readonly #backoffInitialMs: number;
  readonly #backoffMaxMs: number;
  readonly #listen: Listen | undefined;
  readonly #logger: OutboxLogger | undefined;
  readonly #observer: OutboxRelayObserver;
  readonly #lockKey: string;

  #loop: Promise<void> | undefined;
  #stopping = false;
  #wakePending = false;
  /** Woken for rows that no round of this relay as the leader has read since. */
  #owed = false;
  /** Rounds in a row that found another instance leading while rows were owed. */
  #contended = 0;
  #waiter: Waiter | undefined;
  #unlisten: (() => Promise<void>) | undefined;
  #lastCleanup = 0;

  constructor(options: OutboxRelayOptions) {
    this.#database = options.database;
    this.#bus = options.bus;
    this.#batchSize = options.batchSize ?? 100;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.#retentionMs = options.retentionMs ?? 60 * 60 * 1000;
    this.#cleanupIntervalMs = options.cleanupIntervalMs ?? Math.min(this.#retentionMs, 60_000);
    this.#publishTimeoutMs = options.publishTimeoutMs ?? 10_000;
    this.#backoffInitialMs = options.backoff?.initialMs ?? 100;
    this.#backoffMaxMs = options.backoff?.maxMs ?? 30_000;
    this.#listen = options.listen;
    this.#logger = options.logger;
    this.#observer = options.observer ?? {};
    this.#lockKey = `lattice.outbox.${options.database.schema}`;
    if (!Number.isInteger(this.#batchSize) || this.#batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, not ${options.batchSize}`);
    }
  }

  get running(): boolean {
    return this.#loop !== undefined;
  }

  /** Subscribes to NOTIFY (if `listen` was given) and starts the loop. */
  async start(): Promise<void> {
    if (this.#loop) return;
    this.#stopping = false;
    if (this.#listen) {
      try {
        this.#unlisten = await this.#listen(outboxChannel(this.#database.schema), () =>
          this.#notify(),
        );
      } catch (error) {
        // Slower, not broken: polling still finds every row.
        this.#logger?.warn({ err: error }, 'outbox relay cannot LISTEN; polling only');
      }
    }
    this.#loop = this.#run();
  }

  /** Lets the batch in flight finish (publish and mark, or roll back), then stops. */
  async stop(): Promise<void> {
    if (!this.#loop) return;
    this.#stopping = true;
    this.#waiter?.done();
    // Unsubscribed at once: a write committed while the last batch finishes then NOTIFYs the
    // other instances instead of waking this stopping relay.
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    const unlistened = unlisten?.().catch((error) => {
      this.#logger?.warn({ err: error }, 'outbox relay UNLISTEN failed');
    });
    await this.#loop;
    this.#loop = undefined;
    await unlistened;
  }

  /**
   * One round now, outside the loop: publishes up to `batchSize` events and resolves with how
   * many (0 also when another instance holds the leader lock). Throws what the round threw.
   */
  async publishBatch(): Promise<number> {
    return (await this.#batch()).published;
  }

  /** Unsent events and the age of the oldest, for metrics and readiness details. */
  async lag(): Promise<OutboxLag> {
    const result = await sql<{ unsent: number | bigint; age_ms: number | null }>`
      SELECT count(*) AS unsent,
        (extract(epoch FROM now() - min(created_at)) * 1000)::float8 AS age_ms
      FROM outbox WHERE sent_at IS NULL`.execute(this.#database.db);
    const row = result.rows[0];
    return {
      unsent: Number(row?.unsent ?? 0),
      oldestUnsentAgeMs: Math.max(0, Math.round(Number(row?.age_ms ?? 0))),
    };
  }

  /** Deletes sent rows older than retention, in chunks; resolves with how many. */
  async cleanup(): Promise<number> {
    let total = 0;
    for (;;) {
      // Chunked so one huge delete never holds locks or bloats WAL in one go.
      const result = await sql`DELETE FROM outbox WHERE seq IN (
          SELECT seq FROM outbox
          WHERE sent_at < now() - (${this.#retentionMs}::float8 * interval '1 millisecond')
          LIMIT 5000)`.execute(this.#database.db);
      const deleted = Number(result.numAffectedRows ?? 0n);
      total += deleted;
      if (deleted < 5000) break;
    }
    if (total > 0) this.#observer.cleaned?.(total);
    return total;
  }

  #notify(): void {
    this.#wakePending = true;
    this.#owed = true;
    if (this.#waiter?.byNotify) this.#waiter.done();
  }

  /** Resolves after `ms`, on stop, and (when `byNotify`) on a NOTIFY, even one already received. */
  #sleep(ms: number, byNotify: boolean): Promise<void> {
    if (this.#stopping || (byNotify && this.#wakePending)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => waiter.done(), ms);
      // The relay must not keep a process alive on its own; the service's server does.
      timer.unref();
      const waiter: Waiter = {
        byNotify,
        done: () => {
          clearTimeout(timer);
          if (this.#waiter === waiter) this.#waiter = undefined;
          resolve();
        },
      };
      this.#waiter = waiter;
    });
  }

  #backoffMs(failures: number): number {
    const ceiling = Math.min(this.#backoffMaxMs, this.#backoffInitialMs * 2 ** (failures - 1));
    // Full jitter between half and all of it, so instances failing together spread out.
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (!this.#stopping) {
      let outcome: BatchOutcome;
      try {
        outcome = await this.#batch();
        failures = 0;
      } catch (error) {
        failures += 1;
        this.#observer.failed?.(error, failures);
        this.#logger?.warn(
          { err: error, consecutiveFailures: failures },
          'outbox relay round failed; the batch stays unsent and is retried',
        );
        // A NOTIFY must not cut the backoff short: every write would hammer a failing broker.
        await this.#sleep(this.#backoffMs(failures), false);
        continue;
      }
      await this.#cleanupIfDue();
      // A full batch means more may be waiting.
      if (outcome.leader && outcome.published === this.#batchSize) continue;
      if (outcome.leader || !this.#owed) {
        this.#contended = 0;
        await this.#sleep(this.#pollIntervalMs, true);
        continue;
      }
      // Another instance led while this one was woken for its own rows: those committed after
      // the leader's read are not in its batch, and only this instance's relay is woken for
      // them (no NOTIFY crosses instances, see commitWake). It looks again soon, backing off
      // while the other stays in a long batch; a wake-up does not cut that wait short.
      this.#contended += 1;
      const retryMs = LEADER_RETRY_MS * 2 ** Math.min(this.#contended - 1, 10);
      await this.#sleep(Math.min(this.#pollIntervalMs, retryMs), false);
    }
  }

  async #cleanupIfDue(): Promise<void> {
    const now = Date.now();
    if (now - this.#lastCleanup < this.#cleanupIntervalMs) return;
    this.#lastCleanup = now;
    try {
      await this.cleanup();
    } catch (error) {
      this.#logger?.warn({ err: error }, 'outbox cleanup failed; retried later');
    }
  }

  async #batch(): Promise<BatchOutcome> {
    // Cleared before reading: a NOTIFY arriving from here on is for rows this read may miss.
    this.#wakePending = false;
    const outcome = await this.#leaderRound();
    // As the leader, this round read every row committed before it began.
    if (outcome.leader && !this.#wakePending) this.#owed = false;
    return outcome;
  }

  async #leaderRound(): Promise<BatchOutcome> {
    const started = performance.now();
    let sent: CloudEvent[] = [];
    const outcome = await this.#database.transaction(async (trx): Promise<BatchOutcome> => {
      // Leadership and the batch in one round trip: a row with a NULL seq says who leads when
      // the outbox is empty, and a relay that is not the leader reads nothing.
      const rows = await sql<{
        leader: boolean;
        seq: number | bigint | null;
        event: CloudEvent | string | null;
      }>`WITH lock AS MATERIALIZED (
          SELECT pg_try_advisory_xact_lock(hashtext(${this.#lockKey})) AS leader
        ),
        batch AS (
          SELECT seq, event FROM outbox WHERE sent_at IS NULL AND (SELECT leader FROM lock)
          ORDER BY seq LIMIT ${this.#batchSize} FOR UPDATE
        )
        SELECT lock.leader, batch.seq, batch.event FROM lock LEFT JOIN batch ON true
        ORDER BY batch.seq`.execute(trx);
      if (!rows.rows[0]?.leader) return { leader: false, published: 0 };
      const found = rows.rows.filter((row) => row.seq !== null);
      if (found.length === 0) return { leader: true, published: 0 };
      const events = found.map((row) =>
        typeof row.event === 'string'
          ? (JSON.parse(row.event) as CloudEvent)
          : (row.event as CloudEvent),
      );
      await this.#publish(events);
      // One statement text whatever the batch's size (a prepared statement, not one per size).
      await sql`UPDATE outbox SET sent_at = now()
        WHERE seq = ANY(${found.map((row) => String(row.seq))}::bigint[])`.execute(trx);
      await this.#observer.beforeCommit?.(events);
      sent = events;
      return { leader: true, published: events.length };
    });
    if (sent.length > 0) {
      this.#observer.sent?.(sent, performance.now() - started);
      this.#logger?.debug({ count: sent.length }, 'outbox batch published');
    }
    return outcome;
  }

  #publish(events: CloudEvent[]): Promise<void> {
    return withTimeout(
      this.#bus.publish(events),
      this.#publishTimeoutMs,
      'broker did not acknowledge the batch',
    );
  }
}
