import {
  type CloudEvent,
  contextOf,
  SchemaGuard,
  streamName,
  subjectOfType,
} from '@lattice/platform';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, type NatsConnection, nanos } from '@nats-io/transport-node';
import { CONSUMED_TYPES } from '../events/event-types.ts';

/** One bounded context's stream as the rebuild found it. */
export interface StreamExtent {
  stream: string;
  /** Stored events up to `lastSeq` (the rebuild reads no further: later ones are live traffic). */
  messages: number;
  firstSeq: number;
  lastSeq: number;
}

/** Raised when a stream no longer holds its oldest events: rebuilding from it would lose them. */
export class PartialStreamError extends Error {}

export interface StreamSource {
  streams: StreamExtent[];
  total: number;
  /** The stored events, a batch at a time: `events` are the consumed, contract-valid ones. */
  batches(
    batchSize: number,
  ): AsyncGenerator<{ read: number; events: CloudEvent[]; invalid: number }>;
  close(): Promise<void>;
}

const isApiError = (error: unknown, code: number) =>
  error instanceof JetStreamApiError && error.code === code;

/** The streams of every context the read models consume from (auth, users, todos, orders, payments). */
export function consumedStreams(): string[] {
  return [...new Set(CONSUMED_TYPES.map((type) => contextOf(subjectOfType(type))))].map(streamName);
}

/**
 * Opens the JetStream streams for a rebuild: the event backbone keeps every published event
 * for its retention (7 days by default), and this reads them as the replay tooling does
 * (scripts/replay/range.ts): a throw-away consumer per stream — no acks, in memory, removed by
 * the server if this process dies — so the service's own durable consumers are never touched.
 * A stream whose first stored sequence is past 1 lost events to retention (or a purge):
 * refused unless `allowPartial`, since the rebuilt numbers would then be smaller than the live ones.
 */
export async function openStreamSource(
  natsUrl: string,
  options: { allowPartial?: boolean; streams?: string[] } = {},
): Promise<StreamSource> {
  const nc = await connect({
    servers: natsUrl.split(',').map((s) => s.trim()),
    name: 'analytics-rebuild',
  });
  try {
    const jsm = await jetstreamManager(nc);
    const streams: StreamExtent[] = [];
    for (const stream of options.streams ?? consumedStreams()) {
      try {
        const { state } = await jsm.streams.info(stream);
        if (state.messages === 0 && state.last_seq === 0) continue;
        streams.push({
          stream,
          messages: state.messages,
          firstSeq: state.first_seq,
          lastSeq: state.last_seq,
        });
      } catch (error) {
        // A context that never published has no stream yet: nothing to read there.
        if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
      }
    }
    const partial = streams.filter((s) => s.firstSeq > 1);
    if (partial.length > 0 && !options.allowPartial) {
      throw new PartialStreamError(
        `${partial.map((s) => `${s.stream} starts at sequence ${s.firstSeq}`).join(', ')}: older events left the stream (retention or purge), so a rebuild from it would drop them. Rebuild from the event log (--source log), or accept the loss with --allow-partial.`,
      );
    }
    return {
      streams,
      total: streams.reduce((sum, s) => sum + s.messages, 0),
      batches: (batchSize) => readStreams(nc, jsm, streams, batchSize),
      close: () => nc.close(),
    };
  } catch (error) {
    await nc.close().catch(() => {});
    throw error;
  }
}

async function* readStreams(
  nc: NatsConnection,
  jsm: JetStreamManager,
  streams: StreamExtent[],
  batchSize: number,
) {
  const js = jetstream(nc);
  const guard = new SchemaGuard();
  const consumed = new Set<string>(CONSUMED_TYPES);
  for (const extent of streams) {
    for await (const messages of readStream(js, jsm, extent, batchSize)) {
      const events: CloudEvent[] = [];
      let invalid = 0;
      for (const { subject, data } of messages) {
        // The live consumer dead-letters what its contract refuses: the rebuild skips it alike.
        const decoded = guard.decode(subject, data);
        if (!decoded.ok) invalid++;
        else if (consumed.has(decoded.event.type)) events.push(decoded.event);
      }
      yield { read: messages.length, events, invalid };
    }
  }
}

async function* readStream(
  js: JetStreamClient,
  jsm: JetStreamManager,
  extent: StreamExtent,
  batchSize: number,
): AsyncGenerator<Array<{ subject: string; data: Uint8Array }>> {
  const info = await jsm.consumers.add(extent.stream, {
    ack_policy: AckPolicy.None,
    deliver_policy: DeliverPolicy.All,
    inactive_threshold: nanos(60_000),
    mem_storage: true,
  });
  try {
    if (info.num_pending === 0) return;
    const consumer = await js.consumers.get(extent.stream, info.name);
    for (;;) {
      const batch = await consumer.fetch({ max_messages: batchSize, expires: 2_000 });
      const messages: Array<{ subject: string; data: Uint8Array }> = [];
      let done = false;
      for await (const message of batch) {
        if (message.info.streamSequence > extent.lastSeq) {
          done = true;
          break;
        }
        messages.push({ subject: message.subject, data: message.data });
        if (message.info.streamSequence === extent.lastSeq || message.info.pending === 0) {
          done = true;
          break;
        }
      }
      if (messages.length > 0) yield messages;
      // An empty batch: the rest was deleted or expired while we read.
      if (done || messages.length === 0) return;
    }
  } finally {
    await jsm.consumers.delete(extent.stream, info.name).catch(() => {});
  }
}
