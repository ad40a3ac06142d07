import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { filterConfig } from './filters.ts';

export interface RangeBounds {
  filters: string[];
  fromSeq?: number;
  from?: Date;
  toSeq?: number;
  to?: Date;
  /** The stream's last sequence when the replay started: later events are live traffic. */
  lastSeq: number;
}

export interface RangeScan {
  count: number;
  firstSeq?: number;
  lastSeq?: number;
  firstTime?: string;
  lastTime?: string;
  bySubject: Map<string, number>;
  /** CloudEvent ids (what the inbox records), in stream order; only when asked for. */
  eventIds: string[];
}

const BATCH = 512;

/**
 * Reads the range once with a throw-away consumer (no acks, in memory, removed by the server
 * if this process dies): it counts the events, finds the first sequence, and collects the
 * event ids the inbox reset needs. It never touches the group's durable consumer.
 */
export async function scanRange(
  js: JetStreamClient,
  jsm: JetStreamManager,
  stream: string,
  bounds: RangeBounds,
  collectIds: boolean,
): Promise<RangeScan> {
  const scan: RangeScan = { count: 0, bySubject: new Map(), eventIds: [] };
  const config: Partial<ConsumerConfig> = {
    ack_policy: AckPolicy.None,
    ...startOf(bounds),
    ...filterConfig(bounds.filters),
    inactive_threshold: nanos(60_000),
    mem_storage: true,
  };
  const info = await jsm.consumers.add(stream, config);
  try {
    if (info.num_pending === 0) return scan;
    const consumer = await js.consumers.get(stream, info.name);
    const toNanos = bounds.to ? BigInt(bounds.to.getTime()) * 1_000_000n : undefined;
    let done = false;
    while (!done) {
      let received = 0;
      const batch = await consumer.fetch({ max_messages: BATCH, expires: 2_000 });
      for await (const message of batch) {
        received++;
        const seq = message.info.streamSequence;
        if (
          seq > bounds.lastSeq ||
          (bounds.toSeq !== undefined && seq > bounds.toSeq) ||
          (toNanos !== undefined && message.timestampNanos > toNanos)
        ) {
          done = true;
          break;
        }
        scan.count++;
        scan.firstSeq ??= seq;
        scan.firstTime ??= message.timestamp;
        scan.lastSeq = seq;
        scan.lastTime = message.timestamp;
        scan.bySubject.set(message.subject, (scan.bySubject.get(message.subject) ?? 0) + 1);
        if (collectIds) {
          const id = eventIdOf(message.data);
          if (id !== undefined) scan.eventIds.push(id);
        }
        if (message.info.pending === 0) {
          done = true;
          break;
        }
      }
      // An empty batch: the rest of the range was deleted or expired while we read.
      if (received === 0) done = true;
    }
    return scan;
  } finally {
    await jsm.consumers.delete(stream, info.name).catch(() => {});
  }
}

function startOf(bounds: RangeBounds): Partial<ConsumerConfig> {
  if (bounds.fromSeq !== undefined) {
    return { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: bounds.fromSeq };
  }
  if (bounds.from !== undefined) {
    return { deliver_policy: DeliverPolicy.StartTime, opt_start_time: bounds.from.toISOString() };
  }
  return { deliver_policy: DeliverPolicy.All };
}

const utf8 = new TextDecoder();

/**
 * The inbox keys on the CloudEvent's `id` from the body (a malformed message never reaches an
 * inbox, so it has no id to forget).
 */
function eventIdOf(data: Uint8Array): string | undefined {
  try {
    const id = (JSON.parse(utf8.decode(data)) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
