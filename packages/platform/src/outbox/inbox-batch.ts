import { sql, type Transaction } from 'kysely';
import type { Database } from '../db/database.ts';
import { consumeOnce } from './inbox.ts';

interface Pending<E> {
  id: string;
  event: E;
  resolve: (applied: boolean) => void;
  reject: (error: unknown) => void;
}

export interface BatchingInboxOptions<DB = unknown, E = unknown> {
  /** Most events applied in one transaction. */
  maxBatch?: number;
  /**
   * Applies a whole batch's fresh events at once (one multi-row statement instead of one per
   * event), in the batch's transaction. When a batch fails, its events are still re-applied one
   * by one with the per-event effect, so both must have the same effect.
   */
  effectMany?: (events: E[], trx: Transaction<DB>) => Promise<void>;
  /**
   * Runs one batch's transaction in the (trace) context of the batch's first event. Without it
   * a batch runs in the context of whatever delivery started the drain loop, so a busy
   * consumer's statements would all land in one early event's trace.
   */
  inContextOf?: <T>(event: E, work: () => T) => T;
  /**
   * Told of the events whose effects were just committed (duplicates left out), before their
   * deliveries resolve: for work in this process that must not start before the commit. It
   * must not throw; the effects stand whatever it does.
   */
  afterCommit?: (events: E[]) => void;
}

/**
 * `consumeOnce` for many deliveries at a time: events handed over while a batch is being
 * applied wait for the next one, and a batch records every id and applies every fresh effect
 * in ONE transaction — the per-event transaction is what limits a consumer's throughput.
 * Each delivery still resolves only once its effect is committed, so the bus acks nothing
 * early, and per-subject order holds (the bus hands over a subject's next event only after the
 * previous one resolved). If a batch fails, its events are applied one by one, so only the
 * event that really fails is retried by the broker.
 */
export function batchingInbox<DB, E extends { id: string }>(
  database: Database<DB>,
  consumer: string,
  effect: (event: E, trx: Transaction<DB>) => Promise<void>,
  options: BatchingInboxOptions<DB, E> = {},
): (event: E) => Promise<boolean> {
  const maxBatch = options.maxBatch ?? 100;
  const { effectMany, afterCommit } = options;
  const inContextOf = options.inContextOf ?? (<T>(_event: E, work: () => T) => work());
  let queue: Pending<E>[] = [];
  let running = false;

  const applyBatch = async (batch: Pending<E>[]): Promise<void> => {
    try {
      const applied = await database.transaction(async (trx) => {
        const ids = [...new Set(batch.map((p) => p.id))];
        const inserted = await sql<{ event_id: string }>`INSERT INTO inbox (consumer, event_id)
          SELECT ${consumer}, unnest(${ids}::text[]) ON CONFLICT DO NOTHING RETURNING event_id`.execute(
          trx,
        );
        const fresh = new Set(inserted.rows.map((r) => r.event_id));
        const done = new Set<Pending<E>>();
        for (const pending of batch) {
          // A duplicate within the batch, or an id already recorded, changes nothing.
          if (!fresh.delete(pending.id)) continue;
          if (!effectMany) await effect(pending.event, trx);
          done.add(pending);
        }
        if (effectMany && done.size > 0)
          await effectMany(
            [...done].map((p) => p.event),
            trx,
          );
        return done;
      });
      if (afterCommit && applied.size > 0) afterCommit([...applied].map((p) => p.event));
      for (const pending of batch) pending.resolve(applied.has(pending));
    } catch {
      for (const pending of batch) {
        await consumeOnce(database, consumer, pending.id, (trx) => effect(pending.event, trx)).then(
          (fresh) => {
            if (fresh) afterCommit?.([pending.event]);
            pending.resolve(fresh);
          },
          pending.reject,
        );
      }
    }
  };

  const drain = async (): Promise<void> => {
    running = true;
    try {
      while (queue.length > 0) {
        const batch = queue.slice(0, maxBatch);
        queue = queue.slice(batch.length);
        await inContextOf(batch[0]!.event, () => applyBatch(batch));
      }
    } finally {
      running = false;
    }
  };

  return (event) =>
    new Promise<boolean>((resolve, reject) => {
      queue.push({ id: event.id, event, resolve, reject });
      // The first waiting delivery starts a batch on the next turn, so deliveries handed over
      // together share it.
      if (!running) setImmediate(() => void (running ? undefined : drain()));
    });
}
