// The baseline: the bare NATS client publishing to and consuming from one JetStream stream,
// configured like the streams and consumers the Lattice bus creates, with nothing around it.

import type { CloudEvent } from '@lattice/platform';
import { createEvent } from '@lattice/platform';
import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import { connect, nanos } from '@nats-io/transport-node';
import { type Cleanup, Completion, type Latency, lastOf, latency } from './stats.ts';

export interface RawOptions {
  servers: string;
  /** Unique per benchmark run, so concurrent or aborted runs never share a stream. */
  suffix: string;
  inFlight: number;
  timeoutMs: number;
  cleanup: Cleanup;
}

export interface RawResult {
  count: number;
  elapsedMs: number;
  publishMs: number;
  latency: Latency;
  duplicates: number;
}

interface Sample {
  run: number;
  seq: number;
  sentAt: number;
}

export interface RawPath {
  serverVersion: string;
  run(count: number, run: number): Promise<RawResult>;
}

const decoder = new TextDecoder();

export async function openRaw(options: RawOptions): Promise<RawPath> {
  const { cleanup } = options;
  const context = `benchraw${options.suffix}`;
  const stream = `BENCH_RAW_${options.suffix.toUpperCase()}`;
  const type = `lattice.${context}.item.recorded.v1`;
  const subject = `${context}.item.recorded.v1`;

  // Two connections, as a producer and a consumer service would have.
  const publisherConnection = await connect({ servers: options.servers, name: 'bench-raw-pub' });
  cleanup.add('close raw publisher', () => publisherConnection.close());
  const consumerConnection = await connect({ servers: options.servers, name: 'bench-raw-sub' });
  cleanup.add('close raw consumer', () => consumerConnection.close());

  const jsm = await jetstreamManager(publisherConnection);
  // The same settings as jetstream-topology.ts gives a context stream and a durable consumer.
  await jsm.streams.add({
    name: stream,
    subjects: [`${context}.>`],
    storage: StorageType.File,
    retention: RetentionPolicy.Limits,
    discard: DiscardPolicy.Old,
    duplicate_window: nanos(120_000),
    num_replicas: 1,
  });
  cleanup.add(`delete stream ${stream}`, () => jsm.streams.delete(stream));
  await jsm.consumers.add(stream, {
    durable_name: 'bench',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(30_000),
    max_ack_pending: 1_000,
  });

  const js = jetstream(publisherConnection, { timeout: 5_000 });
  const consumer = await jetstream(consumerConnection).consumers.get(stream, 'bench');
  const messages = await consumer.consume({ max_messages: options.inFlight });
  cleanup.add('stop raw consumer', () => messages.close().then(() => {}));

  let current: { run: number; completion: Completion; latencies: number[] } | undefined;
  const consuming = (async () => {
    for await (const message of messages) {
      const event = JSON.parse(decoder.decode(message.data)) as CloudEvent<Sample>;
      message.ack();
      const now = performance.now();
      // A late redelivery from the warm-up must not count towards the measured run.
      if (!current || event.data.run !== current.run) continue;
      if (current.completion.record(event.id, now)) {
        current.latencies.push(now - event.data.sentAt);
      }
    }
  })();
  consuming.catch((error) => process.stderr.write(`raw consumer stopped: ${error}\n`));

  return {
    serverVersion: publisherConnection.info?.version ?? 'unknown',
    async run(count, run) {
      const completion = new Completion(count);
      current = { run, completion, latencies: [] };
      const started = performance.now();
      let next = 0;
      // `inFlight` publishers, each awaiting its PubAck before the next: a bounded window.
      const publisher = async () => {
        while (next < count) {
          const seq = next++;
          const event = createEvent<Sample>({
            source: 'bench',
            type,
            subject: `item-${seq % 64}`,
            tenantId: 'bench',
            data: { run, seq, sentAt: performance.now() },
          });
          await js.publish(subject, JSON.stringify(event), { msgID: event.id });
        }
      };
      await Promise.all(Array.from({ length: Math.min(options.inFlight, count) }, publisher));
      const publishMs = performance.now() - started;
      await completion.wait('raw JetStream', options.timeoutMs);
      const last = lastOf(completion.seen);
      return {
        count,
        elapsedMs: last - started,
        publishMs,
        latency: latency(current.latencies),
        duplicates: completion.duplicates,
      };
    },
  };
}
