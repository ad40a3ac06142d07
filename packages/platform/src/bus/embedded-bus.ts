import { randomUUID } from 'node:crypto';
import { type DeadLetter, deadLetterEvent } from './dead-letter.ts';
import { EmbeddedGroup, type Pending, type StoredMessage } from './embedded-group.ts';
import { BusErrors } from './errors.ts';
import type { CloudEvent, EventBus, SubscribeOptions, Subscription } from './event-bus.ts';
import { type BusLogger, type BusObserver, DEFAULT_RETRY, type RetryPolicy } from './observer.ts';
import type { Outcome } from './run-delivery.ts';
import { type ContractLookup, SchemaGuard } from './schema-guard.ts';
import { assertGroupName, assertSubjectPattern, deadLetterSubject } from './subjects.ts';

export interface EmbeddedBusOptions {
  /** Where event contracts are looked up; defaults to the `@lattice/contracts` registry. */
  contracts?: ContractLookup;
  observer?: BusObserver;
  logger?: BusLogger;
  retry?: Partial<RetryPolicy>;
  /** A re-published event id within this window is dropped, like JetStream's `Nats-Msg-Id`. */
  duplicateWindowMs?: number;
  /** Recent events kept for a group that subscribes later (a new durable reads from the start). */
  retainEvents?: number;
  /** Dead letters kept for `deadLetters()`. */
  keepDeadLetters?: number;
}

/**
 * The event bus inside one process, with the JetStream adapter's semantics: consumer groups
 * (each event to one member of a group, every group gets every event), ack when the handler
 * resolves, retry with exponential backoff up to `maxDeliver` then dead letter, per-subject
 * order within a group (also across retries), publish deduplication by event id.
 *
 * What it does NOT guarantee: nothing survives the process. Events queued, in flight or
 * waiting for a retry are lost on a crash or restart; the transactional outbox is what makes
 * embedded mode durable (an event stays in the outbox until published, and is re-published
 * after a restart). There is no ack timeout either: a handler that never settles holds its
 * subject's queue, and `inProgress()` does nothing.
 */
export class EmbeddedBus implements EventBus {
  readonly #guard: SchemaGuard;
  readonly #observer: BusObserver | undefined;
  readonly #logger: BusLogger | undefined;
  readonly #retry: RetryPolicy;
  readonly #duplicateWindowMs: number;
  readonly #retainEvents: number;
  readonly #keepDeadLetters: number;
  readonly #groups = new Map<string, EmbeddedGroup>();
  readonly #seen = new Map<string, number>();
  readonly #log: StoredMessage[] = [];
  readonly #deadLetters: DeadLetter[] = [];
  readonly #clients = new Set<EmbeddedClient>();
  readonly #root: EmbeddedClient;
  #seq = 0;
  #closed = false;

  constructor(options: EmbeddedBusOptions = {}) {
    this.#guard = new SchemaGuard(options.contracts);
    this.#observer = options.observer;
    this.#logger = options.logger;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
    this.#retainEvents = options.retainEvents ?? 10_000;
    this.#keepDeadLetters = options.keepDeadLetters ?? 1_000;
    this.#root = this.connect();
  }

  /** A handle for one service: its `close()` drains only the subscriptions made through it. */
  connect(): EmbeddedClient {
    this.#assertOpen();
    const client = new EmbeddedClient(this, () => this.#clients.delete(client));
    this.#clients.add(client);
    return client;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async publish(events: CloudEvent[]): Promise<void> {
    this.#assertOpen();
    // Every event is checked before any is stored: a bad batch publishes nothing.
    const subjects = events.map((event) => this.#guard.checkPublish(event));
    events.forEach((event, i) => {
      if (this.#isDuplicate(event.id)) return;
      this.#store(subjects[i]!, JSON.stringify(event));
      this.#observer?.published?.(event.type);
    });
  }

  /**
   * Stores bytes on a subject without any check, as a foreign or broken producer would: for
   * tests and operator tools (re-publishing a dead letter's payload). Services use `publish`.
   */
  async publishRaw(subject: string, payload: string | Uint8Array, msgId?: string): Promise<void> {
    this.#assertOpen();
    if (msgId !== undefined && this.#isDuplicate(msgId)) return;
    this.#store(subject, payload);
  }

  subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription> {
    return this.#root.subscribe(options);
  }

  /** Dead letters kept in memory, oldest first; optionally of one group only. */
  deadLetters(group?: string): DeadLetter[] {
    return this.#deadLetters.filter((d) => group === undefined || d.group === group);
  }

  async ping(): Promise<void> {
    this.#assertOpen();
  }

  /** Drains every subscription of every client, then refuses further use. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await Promise.all([...this.#clients].map((client) => client.close()));
    this.#closed = true;
    for (const group of this.#groups.values()) group.stop();
  }

  /** @internal used by EmbeddedClient. */
  group(options: SubscribeOptions<unknown>): EmbeddedGroup {
    this.#assertOpen();
    assertGroupName(options.group);
    if (options.subjects.length === 0) throw BusErrors.invalidSubscription('no subjects');
    for (const subject of options.subjects) assertSubjectPattern(subject);
    let group = this.#groups.get(options.group);
    if (!group) {
      group = new EmbeddedGroup(options.group, options.subjects, {
        retry: this.#retry,
        observer: this.#observer,
        decode: (message) => this.#guard.decode(message.subject, message.payload),
        settle: (name, pending, outcome) => this.#settle(name, pending, outcome),
      });
      this.#groups.set(options.group, group);
      for (const message of this.#log) if (group.matches(message.subject)) group.enqueue(message);
    } else {
      // Like updating a durable's filter: later events follow the new subjects.
      group.patterns = options.subjects;
    }
    return group;
  }

  #assertOpen(): void {
    if (this.#closed) throw BusErrors.closed();
  }

  #isDuplicate(id: string): boolean {
    const now = Date.now();
    // Ids enter in time order, so the expired ones are at the front of the map.
    for (const [seen, expires] of this.#seen) {
      if (expires > now) break;
      this.#seen.delete(seen);
    }
    if (this.#seen.has(id)) return true;
    this.#seen.set(id, now + this.#duplicateWindowMs);
    return false;
  }

  #store(subject: string, payload: string | Uint8Array): void {
    const message = { seq: ++this.#seq, subject, payload };
    this.#log.push(message);
    if (this.#log.length > this.#retainEvents) this.#log.shift();
    for (const group of this.#groups.values()) {
      if (group.matches(subject)) group.enqueue(message);
    }
  }

  #settle(group: string, pending: Pending, outcome: Outcome): void {
    if (outcome.kind === 'drop') {
      this.#logger?.warn(
        { group, subject: pending.message.subject, reason: outcome.reason },
        'broken dead letter dropped',
      );
      return;
    }
    if (outcome.kind !== 'dead') return;
    const letter: DeadLetter = {
      reason: outcome.reason,
      group,
      subject: pending.message.subject,
      deliveryCount: pending.deliveries,
      payload: textOf(pending.message.payload),
      ...(outcome.event ? { event: outcome.event } : {}),
      sequence: pending.message.seq,
    };
    this.#deadLetters.push(letter);
    if (this.#deadLetters.length > this.#keepDeadLetters) this.#deadLetters.shift();
    this.#logger?.warn(
      { group, subject: letter.subject, type: outcome.type, reason: letter.reason },
      'event dead-lettered',
    );
    this.#observer?.deadLettered?.(outcome.type, group, outcome.reason);
    const event = deadLetterEvent(randomUUID(), letter);
    if (!this.#closed) this.#store(deadLetterSubject(group, letter.subject), JSON.stringify(event));
  }
}

interface ClientSubscription {
  group: EmbeddedGroup;
  member: ReturnType<EmbeddedGroup['join']>;
  done: Promise<void> | undefined;
}

/** One service's view of the shared EmbeddedBus (see `EmbeddedBus.connect`). */
export class EmbeddedClient implements EventBus {
  readonly #bus: EmbeddedBus;
  readonly #subscriptions = new Set<ClientSubscription>();
  readonly #onClose: () => void;
  #closed = false;

  constructor(bus: EmbeddedBus, onClose: () => void) {
    this.#bus = bus;
    this.#onClose = onClose;
  }

  publish(events: CloudEvent[]): Promise<void> {
    if (this.#closed) return Promise.reject(BusErrors.closed());
    return this.#bus.publish(events);
  }

  async subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription> {
    if (this.#closed) throw BusErrors.closed();
    const group = this.#bus.group(options as SubscribeOptions<unknown>);
    const member = group.join(
      options as SubscribeOptions<unknown>,
      Math.max(1, options.concurrency ?? 1),
    );
    const entry: ClientSubscription = { group, member, done: undefined };
    this.#subscriptions.add(entry);
    return {
      drain: () => {
        entry.done ??= group.drain(member).then(() => {
          this.#subscriptions.delete(entry);
        });
        return entry.done;
      },
    };
  }

  ping(): Promise<void> {
    return this.#closed ? Promise.reject(BusErrors.closed()) : this.#bus.ping();
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(
      [...this.#subscriptions].map((s) => {
        s.done ??= s.group.drain(s.member);
        return s.done;
      }),
    );
    this.#subscriptions.clear();
    this.#onClose();
  }

  /**
   * Stops at once, as if this service crashed: handlers in flight are abandoned and their
   * events handed to another member of the group (a redelivery, attempt + 1).
   */
  terminate(): void {
    this.#closed = true;
    for (const s of this.#subscriptions) s.group.abandon(s.member);
    this.#subscriptions.clear();
    this.#onClose();
  }
}

const lenient = new TextDecoder();
const textOf = (payload: string | Uint8Array) =>
  typeof payload === 'string' ? payload : lenient.decode(payload);
