import {
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import { connect, headers, type NatsConnection } from '@nats-io/transport-node';
import { withTimeout } from '../with-timeout.ts';
import { type DeadLetter, DeadLetterHeaders, deadLetterEvent, headerSafe } from './dead-letter.ts';
import { BusErrors } from './errors.ts';
import type { CloudEvent, EventBus, SubscribeOptions, Subscription } from './event-bus.ts';
import { ConsumeLoop } from './jetstream-consumer.ts';
import { ensureConsumer, ensureStream, supportsMultipleFilters } from './jetstream-topology.ts';
import {
  type BusLogger,
  type BusObserver,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_DELIVER,
  DEFAULT_RETRY,
  type RetryPolicy,
} from './observer.ts';
import type { Outcome } from './run-delivery.ts';
import { type ContractLookup, SchemaGuard } from './schema-guard.ts';
import {
  assertGroupName,
  assertSubjectPattern,
  contextOf,
  DEAD_LETTER_CONTEXT,
  deadLetterSubject,
} from './subjects.ts';

export interface JetStreamBusOptions {
  /** NATS server URL(s); a comma-separated string is split. */
  servers: string | string[];
  /** Connection name shown by the server (e.g. the service name). */
  name?: string;
  contracts?: ContractLookup;
  observer?: BusObserver;
  logger?: BusLogger;
  retry?: Partial<RetryPolicy>;
  duplicateWindowMs?: number;
  /** How long streams keep events (default 7 days). */
  maxAgeMs?: number;
  replicas?: number;
  reconnectTimeWaitMs?: number;
  publishTimeoutMs?: number;
  pingTimeoutMs?: number;
  /**
   * Give consumers a backoff list for ack-timeout redeliveries (ack wait, doubling to 5 min).
   * Off by default: NATS 2.9 then ignores `nak(delay)`, which handler retries rely on.
   */
  ackTimeoutBackoff?: boolean;
}

const DAY_MS = 86_400_000;
/** Ack-timeout redeliveries double up to this; handler failures use `retry` instead. */
const MAX_TIMEOUT_BACKOFF_MS = 5 * 60_000;

/**
 * The EventBus on NATS JetStream (distributed mode). One stream per bounded context, one
 * durable pull consumer per (context, group): instances of a service share it and compete for
 * its messages; each group gets every event. Publishing waits for the PubAck and sets
 * `Nats-Msg-Id` to the event id, so a re-publish within the duplicate window is dropped.
 *
 * The server delivers a message up to `maxDeliver + 1` times: the handler runs on the first
 * `maxDeliver`; a delivery beyond that means the last attempt never answered (crash or ack
 * timeout) and goes to the dead-letter stream without running the handler again, so a message
 * is not silently dropped when its final attempt dies.
 *
 * Not guaranteed: per-subject order across instances or across retries (a nak lets later
 * events pass); consumers stay idempotent (inbox) and tolerate reordering of retried events.
 */
export class JetStreamBus implements EventBus {
  readonly #nc: NatsConnection;
  readonly #js: JetStreamClient;
  readonly #jsm: JetStreamManager;
  /** The streams each group consumes from, for `pending`. */
  readonly #groupStreams = new Map<string, Set<string>>();
  readonly #options: JetStreamBusOptions;
  readonly #guard: SchemaGuard;
  readonly #retry: RetryPolicy;
  readonly #streams = new Map<string, Promise<string>>();
  readonly #loops = new Set<ConsumeLoop>();
  #closed = false;

  private constructor(nc: NatsConnection, jsm: JetStreamManager, options: JetStreamBusOptions) {
    this.#nc = nc;
    this.#jsm = jsm;
    this.#js = jetstream(nc, { timeout: options.publishTimeoutMs ?? 5_000 });
    this.#options = options;
    this.#guard = new SchemaGuard(options.contracts);
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
  }

  static async connect(options: JetStreamBusOptions): Promise<JetStreamBus> {
    const servers =
      typeof options.servers === 'string'
        ? options.servers.split(',').map((s) => s.trim())
        : options.servers;
    const nc = await connect({
      servers,
      ...(options.name ? { name: options.name } : {}),
      // A broker restart must never end the service: reconnect for as long as it runs.
      maxReconnectAttempts: -1,
      reconnectTimeWait: options.reconnectTimeWaitMs ?? 1_000,
      // Otherwise the client makes an Error (and captures its stack) at every request, each
      // JetStream publish and acknowledged ack included, in case it later times out: about 4%
      // of the orders service's CPU in a profile of bench/orders. Errors keep their message.
      noAsyncTraces: true,
    });
    try {
      return new JetStreamBus(nc, await jetstreamManager(nc), options);
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** The NATS connection, for tools (replay, KV) that share it. */
  get connection(): NatsConnection {
    return this.#nc;
  }

  async publish(events: CloudEvent[]): Promise<void> {
    this.#assertOpen();
    const subjects = events.map((event) => this.#guard.checkPublish(event));
    try {
      await Promise.all([...new Set(subjects.map(contextOf))].map((c) => this.#ensureStream(c)));
      // Sent in order on one connection; the PubAcks are awaited together.
      const acks = await Promise.all(
        events.map((event, i) =>
          this.#js.publish(subjects[i]!, JSON.stringify(event), { msgID: event.id }),
        ),
      );
      acks.forEach((ack, i) => {
        if (!ack.duplicate) this.#options.observer?.published?.(events[i]!.type);
      });
    } catch (error) {
      throw BusErrors.unavailable(`publish failed: ${(error as Error).message}`, { cause: error });
    }
  }

  /** Bytes on a subject without any check, for tests and operator tools. */
  async publishRaw(subject: string, payload: string | Uint8Array, msgId?: string): Promise<void> {
    this.#assertOpen();
    await this.#ensureStream(contextOf(subject));
    await this.#js.publish(subject, payload, msgId ? { msgID: msgId } : {});
  }

  async pending(group: string): Promise<number> {
    let total = 0;
    for (const stream of this.#groupStreams.get(group) ?? []) {
      const info = await this.#jsm.consumers.info(stream, group);
      total += info.num_pending + info.num_ack_pending;
    }
    return total;
  }

  async subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription> {
    this.#assertOpen();
    assertGroupName(options.group);
    if (options.subjects.length === 0) throw BusErrors.invalidSubscription('no subjects');
    for (const subject of options.subjects) assertSubjectPattern(subject);
    const maxDeliver = options.maxDeliver ?? DEFAULT_MAX_DELIVER;
    const ackWaitMs = options.ackWaitMs ?? DEFAULT_ACK_WAIT_MS;
    const subscription = options as SubscribeOptions;
    const byContext = Map.groupBy(options.subjects, contextOf);
    const loops: ConsumeLoop[] = [];
    try {
      for (const [context, filters] of byContext) {
        const stream = await this.#ensureStream(context);
        const streams = this.#groupStreams.get(options.group) ?? new Set<string>();
        this.#groupStreams.set(options.group, streams.add(stream));
        await ensureConsumer(this.#jsm, stream, {
          group: options.group,
          filters,
          ackWaitMs,
          maxDeliver: maxDeliver + 1,
          backoffMs: this.#options.ackTimeoutBackoff
            ? Array.from({ length: maxDeliver }, (_, i) =>
                Math.max(ackWaitMs, Math.min(MAX_TIMEOUT_BACKOFF_MS, ackWaitMs * 2 ** i)),
              )
            : [],
          maxAckPending: 1_000,
          multipleFilters: supportsMultipleFilters(this.#nc.info?.version),
        });
        const loop = new ConsumeLoop({
          js: this.#js,
          stream,
          subscription,
          guard: this.#guard,
          ackWaitMs,
          prefetch: Math.max(8, 2 * (options.concurrency ?? 1)),
          logger: this.#options.logger,
          context: {
            group: options.group,
            handler: subscription.handler,
            maxDeliver,
            retry: this.#retry,
            observer: this.#options.observer,
          },
          deadLetter: (message, outcome) => this.#deadLetter(options.group, message, outcome),
        });
        await loop.start();
        loops.push(loop);
        this.#loops.add(loop);
      }
    } catch (error) {
      await Promise.all(loops.map((l) => l.drain()));
      throw error;
    }
    let drained: Promise<void> | undefined;
    return {
      drain: () => {
        drained ??= Promise.all(loops.map((l) => l.drain())).then(() => {
          for (const loop of loops) this.#loops.delete(loop);
        });
        return drained;
      },
    };
  }

  /** Resolves once the server answers a round trip; rejects after `pingTimeoutMs`. */
  async ping(): Promise<void> {
    this.#assertOpen();
    try {
      await withTimeout(this.#nc.flush(), this.#options.pingTimeoutMs ?? 2_000);
    } catch (error) {
      throw BusErrors.unavailable(`NATS ping failed: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** Drains every subscription (handlers in flight finish and are acked), then the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#loops].map((l) => l.drain()));
    this.#loops.clear();
    if (!this.#nc.isClosed()) await this.#nc.drain();
  }

  /** Drops the connection as a crash would: nothing in flight is acked; the server redelivers. */
  async terminate(): Promise<void> {
    this.#closed = true;
    for (const loop of this.#loops) loop.abandon();
    this.#loops.clear();
    await this.#nc.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw BusErrors.closed();
  }

  #ensureStream(context: string): Promise<string> {
    let ensured = this.#streams.get(context);
    if (!ensured) {
      ensured = ensureStream(this.#jsm, context, {
        duplicateWindowMs: this.#options.duplicateWindowMs ?? 120_000,
        maxAgeMs: this.#options.maxAgeMs ?? 7 * DAY_MS,
        replicas: this.#options.replicas ?? 1,
      });
      // A failure (broker down) must not stick: the next call tries again.
      ensured.catch(() => this.#streams.delete(context));
      this.#streams.set(context, ensured);
    }
    return ensured;
  }

  async #deadLetter(
    group: string,
    message: JsMsg,
    outcome: Extract<Outcome, { kind: 'dead' }>,
  ): Promise<void> {
    await this.#ensureStream(DEAD_LETTER_CONTEXT);
    const { stream, streamSequence, deliveryCount } = message.info;
    const letter: DeadLetter = {
      reason: outcome.reason,
      group,
      subject: message.subject,
      deliveryCount,
      payload: new TextDecoder().decode(message.data),
      ...(outcome.event ? { event: outcome.event } : {}),
      stream,
      sequence: streamSequence,
    };
    // One id per stored message and group: a retried dead-lettering is deduplicated.
    const id = `dl-${group}-${stream}-${streamSequence}`;
    const h = headers();
    h.set(DeadLetterHeaders.reason, headerSafe(outcome.reason));
    h.set(DeadLetterHeaders.subject, message.subject);
    h.set(DeadLetterHeaders.group, group);
    h.set(DeadLetterHeaders.deliveryCount, String(deliveryCount));
    await this.#js.publish(
      deadLetterSubject(group, message.subject),
      JSON.stringify(deadLetterEvent(id, letter)),
      {
        msgID: id,
        headers: h,
      },
    );
    this.#options.logger?.warn(
      { group, subject: message.subject, type: outcome.type, reason: outcome.reason },
      'event dead-lettered',
    );
    this.#options.observer?.deadLettered?.(outcome.type, group, outcome.reason);
  }
}
