import type { CloudEvent, Database } from '@lattice/platform';
import { sql, type Transaction } from 'kysely';
import { applyEvents } from '../data/projection.ts';
import { type AnalyticsDb, READ_MODEL_TABLES } from '../data/schema.ts';
import { logBatches, logSize } from './log-source.ts';
import { ProgressBar, type ProgressSink, silentSink } from './progress.ts';
import { openStreamSource, type StreamExtent, type StreamSource } from './stream-source.ts';

export type RebuildSource =
  /** The JetStream streams (distributed mode): the event backbone's stored events. */
  | { kind: 'stream'; natsUrl: string; allowPartial?: boolean }
  /** The service's own event log (embedded mode, or beyond the streams' retention). */
  | { kind: 'log' };

export interface RebuildOptions {
  source: RebuildSource;
  /** The read-model consumer's group, as its inbox records it (`[prefix]analytics_read-models`). */
  consumer: string;
  progress?: ProgressSink;
  /** Plain progress lines this often when the sink is not a terminal. */
  progressIntervalMs?: number;
  batchSize?: number;
}

export interface RebuildResult {
  source: RebuildSource['kind'];
  /** Events read from the source. */
  read: number;
  /** Events applied to the read models. */
  applied: number;
  /** Read but not applied: duplicates (same event id), types the read models ignore, invalid. */
  skipped: number;
  streams?: StreamExtent[];
  durationMs: number;
}

/**
 * Drops the read models and rebuilds them from `source` through the live consumer's own
 * projection (applyEvents), in ONE transaction:
 *
 * - It first takes EXCLUSIVE locks on the inbox, the event log and the read models: queries
 *   keep reading the old numbers until the commit (plain reads are not blocked), while the
 *   live consumer's next write waits, so it can neither be lost nor counted twice. A live
 *   event committed before the lock is in the source; one committed after applies on top.
 * - From the streams: the event log and the consumer's inbox rows are cleared too, and each
 *   event read is recorded in the inbox again as it is applied, so an event stored twice in a
 *   stream (re-published past the duplicate window) counts once, as it did live.
 * - From the log: the inbox stays (it already names every logged event).
 *
 * Either it all commits or nothing changed.
 */
export async function rebuildReadModels(
  database: Database<AnalyticsDb>,
  options: RebuildOptions,
): Promise<RebuildResult> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 500;
  const bar = new ProgressBar(
    options.progress ?? silentSink,
    `rebuild from ${options.source.kind}`,
    options.progressIntervalMs,
  );
  const source = options.source;
  let stream: StreamSource | undefined;
  try {
    const counts = await database.transaction(async (trx) => {
      await sql`LOCK TABLE inbox, event_log, ${sql.join(READ_MODEL_TABLES.map((t) => sql.table(t)))} IN EXCLUSIVE MODE`.execute(
        trx,
      );
      // Where the streams end is read only now, under the lock: an event the live consumer
      // committed before it is then surely inside the range read.
      if (source.kind === 'stream') stream = await openStreamSource(source.natsUrl, source);
      for (const table of READ_MODEL_TABLES) await trx.deleteFrom(table).execute();
      let read = 0;
      let applied = 0;
      if (stream) {
        await trx.deleteFrom('event_log').execute();
        await trx.deleteFrom('inbox').where('consumer', '=', options.consumer).execute();
        const { total } = stream;
        bar.update(0, total, true);
        for await (const batch of stream.batches(batchSize)) {
          const fresh = await recordInInbox(trx, options.consumer, batch.events);
          await applyEvents(trx, fresh);
          read += batch.read;
          applied += fresh.length;
          bar.update(read, total);
        }
      } else {
        const total = await logSize(trx);
        bar.update(0, total, true);
        for await (const events of logBatches(trx, batchSize)) {
          await applyEvents(trx, events, { log: false });
          read += events.length;
          applied += events.length;
          bar.update(read, total);
        }
      }
      bar.update(read, Math.max(read, stream?.total ?? 0), true);
      return { read, applied };
    });
    return {
      source: source.kind,
      read: counts.read,
      applied: counts.applied,
      skipped: counts.read - counts.applied,
      ...(stream ? { streams: (stream as StreamSource).streams } : {}),
      durationMs: Date.now() - started,
    };
  } finally {
    bar.finish();
    await stream?.close().catch(() => {});
  }
}

/** The events not yet in the consumer's inbox (recording them there), duplicates dropped. */
async function recordInInbox(
  trx: Transaction<AnalyticsDb>,
  consumer: string,
  events: CloudEvent[],
): Promise<CloudEvent[]> {
  if (events.length === 0) return [];
  const ids = [...new Set(events.map((e) => e.id))];
  const { rows } = await sql<{ event_id: string }>`INSERT INTO inbox (consumer, event_id)
    SELECT ${consumer}, unnest(${ids}::text[]) ON CONFLICT DO NOTHING RETURNING event_id`.execute(
    trx,
  );
  const fresh = new Set(rows.map((r) => r.event_id));
  return events.filter((event) => fresh.delete(event.id));
}
