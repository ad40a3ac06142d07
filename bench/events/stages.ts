// Where the full path's time goes: each stage measured alone, on its own stream and
// databases, with nothing else of this process running. Diagnostic only: the stages never
// overlap here, while in the full path they share the same cores.
import { OutboxRelay } from '@lattice/platform';
import { type Item, type KitOptions, openKit } from './kit.ts';
import { Completion, rate } from './stats.ts';

export interface StageOptions extends KitOptions {
  relayBatchSize: number | undefined;
  timeoutMs: number;
}

export interface Stage {
  label: string;
  eventsPerSecond: number;
  detail: string;
}

export async function runStages(count: number, options: StageOptions): Promise<Stage[]> {
  const kit = await openKit(options);
  const stages: Stage[] = [];

  let started = performance.now();
  const transactions = await kit.write(count, 1, () => {});
  let elapsed = performance.now() - started;
  stages.push({
    label: 'writers (enqueue transactions)',
    eventsPerSecond: rate(count, elapsed),
    detail: `${transactions} transactions, ${((elapsed / transactions) * options.writers).toFixed(1)} ms each per writer`,
  });

  // Driven by hand rather than started: each round publishes a full batch from the backlog.
  const relay = new OutboxRelay({
    database: kit.producerDb,
    bus: kit.producerBus,
    ...(options.relayBatchSize ? { batchSize: options.relayBatchSize } : {}),
  });
  started = performance.now();
  let published = 0;
  let batches = 0;
  while (published < count) {
    published += await relay.publishBatch();
    batches += 1;
  }
  elapsed = performance.now() - started;
  stages.push({
    label: 'relay (outbox → JetStream, backlog)',
    eventsPerSecond: rate(count, elapsed),
    detail: `${batches} batches, ${(elapsed / batches).toFixed(1)} ms each`,
  });

  const consume = async (group: string, withInbox: boolean): Promise<number> => {
    const completion = new Completion(count);
    const began = performance.now();
    const subscription = await kit.consumerBus.subscribe<Item>({
      group,
      subjects: [kit.subject],
      concurrency: options.concurrency,
      handler: async ({ event }) => {
        if (withInbox) await kit.apply(event);
        completion.record(event.id, performance.now());
      },
    });
    try {
      await completion.wait(`stage ${group}`, options.timeoutMs);
    } finally {
      await subscription.drain();
    }
    return rate(count, performance.now() - began);
  };
  stages.push({
    label: 'subscriber with inbox (consumeOnce + effect)',
    eventsPerSecond: await consume('bench-inbox', true),
    detail: `concurrency ${options.concurrency}, one transaction per event`,
  });
  stages.push({
    label: 'subscriber, ack only (no database)',
    eventsPerSecond: await consume('bench-ack-only', false),
    detail: 'JetStreamBus decode, schema check, ack',
  });
  return stages;
}
