// The full Lattice path: writers enqueue events in PostgreSQL transactions, the OutboxRelay
// (woken by LISTEN/NOTIFY) publishes them through JetStreamBus, and a subscriber applies each
// once through the inbox (consumeOnce) in a second database, as a consuming service would.
import { OutboxRelay } from '@lattice/platform';
import { type Item, type KitOptions, openKit } from './kit.ts';
import { Completion, type Latency, lastOf, latency } from './stats.ts';

export interface FullOptions extends KitOptions {
  /** OutboxRelay batchSize; undefined keeps the kit's default. */
  relayBatchSize: number | undefined;
  timeoutMs: number;
}

export interface FullResult {
  count: number;
  elapsedMs: number;
  latency: Latency;
  /** Enqueue commit → broker acked the relay's batch. */
  toPublished: Latency;
  /** Broker acked → effect committed in the consumer's database. */
  toEffect: Latency;
  writeMs: number;
  transactions: number;
  relayBatches: number;
  relayBatchMs: number;
  duplicates: number;
}

export interface FullPath {
  postgresVersion: string;
  run(count: number, run: number): Promise<FullResult>;
  effects(): Promise<number>;
}

export async function openFull(options: FullOptions): Promise<FullPath> {
  const kit = await openKit(options);
  let current:
    | {
        run: number;
        completion: Completion;
        committed: Map<string, number>;
        published: Map<string, number>;
        batches: number[];
      }
    | undefined;

  const subscription = await kit.consumerBus.subscribe<Item>({
    group: 'bench',
    subjects: [kit.subject],
    concurrency: options.concurrency,
    handler: async ({ event }) => {
      const fresh = await kit.apply(event);
      const now = performance.now();
      // A late redelivery from the warm-up must not count towards the measured run.
      if (!current || event.data.run !== current.run) return;
      if (fresh) current.completion.record(event.id, now);
      else current.completion.duplicates += 1;
    },
  });
  options.cleanup.add('drain subscription', () => subscription.drain());

  const relay = new OutboxRelay({
    database: kit.producerDb,
    bus: kit.producerBus,
    listen: kit.producerDb.listen,
    ...(options.relayBatchSize ? { batchSize: options.relayBatchSize } : {}),
    observer: {
      // After the broker acked the batch, before the relay's transaction commits.
      beforeCommit: (events) => {
        const now = performance.now();
        for (const event of events) current?.published.set(event.id, now);
      },
      sent: (events, durationMs) => {
        if (events.length > 0) current?.batches.push(durationMs);
      },
    },
  });
  await relay.start();
  options.cleanup.add('stop relay', () => relay.stop());

  return {
    postgresVersion: kit.postgresVersion,
    effects: () => kit.effects(),
    async run(count, run) {
      const state = {
        run,
        completion: new Completion(count),
        committed: new Map<string, number>(),
        published: new Map<string, number>(),
        batches: [] as number[],
      };
      current = state;
      const started = performance.now();
      const transactions = await kit.write(count, run, (events) => {
        const now = performance.now();
        for (const event of events) state.committed.set(event.id, now);
      });
      const writeMs = performance.now() - started;
      await state.completion.wait('full outbox path', options.timeoutMs);

      const total: number[] = [];
      const toPublished: number[] = [];
      const toEffect: number[] = [];
      for (const [id, effectAt] of state.completion.seen) {
        const committedAt = state.committed.get(id)!;
        const publishedAt = state.published.get(id)!;
        total.push(effectAt - committedAt);
        toPublished.push(publishedAt - committedAt);
        toEffect.push(effectAt - publishedAt);
      }
      return {
        count,
        elapsedMs: lastOf(state.completion.seen) - started,
        latency: latency(total),
        toPublished: latency(toPublished),
        toEffect: latency(toEffect),
        writeMs,
        transactions,
        relayBatches: state.batches.length,
        relayBatchMs: state.batches.reduce((sum, d) => sum + d, 0),
        duplicates: state.completion.duplicates,
      };
    },
  };
}
