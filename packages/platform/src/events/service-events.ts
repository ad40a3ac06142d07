import type { FastifyBaseLogger } from 'fastify';
import type { Compilable, Kysely, OperationNodeSource, RawBuilder, Transaction } from 'kysely';
import { createEvent, type NewEvent } from '../bus/envelope.ts';
import type { CloudEvent, EventBus, Subscription } from '../bus/event-bus.ts';
import { SchemaGuard } from '../bus/schema-guard.ts';
import { subjectOfType } from '../bus/subjects.ts';
import type { Database } from '../db/database.ts';
import { enqueue, enqueueWithChange, outboxInsert, type Write } from '../outbox/enqueue.ts';
import { batchingInbox } from '../outbox/inbox-batch.ts';
import { inEventContext } from '../telemetry/traced-bus.ts';

const DEFAULT_CONSUMER_CONCURRENCY = 32;

export interface ConsumerSpec<T = any, DB = any> {
  /** Names the consumer group `<service>_<name>` (NATS durable names allow no dots) and its inbox records. */
  name: string;
  /** Event types, e.g. `lattice.auth.user.registered.v1`. */
  types: string[];
  /**
   * Applies the event's effect in `trx`, the same transaction that records the event as
   * processed: a redelivered or duplicated event is applied once. Throwing retries it later.
   */
  handler(event: CloudEvent<T>, trx: Transaction<DB>): Promise<void>;
  /**
   * Optional: applies several fresh events at once (e.g. one multi-row upsert), in the same
   * transaction as their inbox records. It must have the effect of `handler` on each event in
   * turn: a batch that fails is re-applied event by event with `handler`. It runs in the trace
   * of the batch's first event (a span of its own can link the others).
   */
  handleBatch?(events: CloudEvent<T>[], trx: Transaction<DB>): Promise<void>;
  /**
   * Optional: told of the events whose effects were just committed (never of a duplicate),
   * before they are acknowledged; e.g. to hand work to something in this process that must not
   * see it before the commit. The event objects are those `handler` or `handleBatch` received.
   * It must not throw. Only a hint: a crash in between loses the call, never the effect.
   */
  afterCommit?(events: CloudEvent<T>[]): void;
  maxDeliver?: number;
  concurrency?: number;
}

/** How a service's code speaks events: it writes them with its state, it consumes them idempotently. */
export interface ServiceEvents<DB = any> {
  /** A CloudEvent from this service (`source: /lattice/<service>`). */
  create<T>(event: Omit<NewEvent<T>, 'source'>): CloudEvent<T>;
  /**
   * Records events in the caller's transaction (the transactional outbox): they are published
   * after commit, never if it rolls back. Domain events are never published straight to the bus.
   */
  record(
    trx: Transaction<DB>,
    events: CloudEvent | CloudEvent[],
    options?: {
      /**
       * Writes of the caller's that need nothing back, sent in the same statement (one round
       * trip); none may depend on another's rows.
       */
      along?: readonly Write[];
    },
  ): Promise<void>;
  /**
   * A change (an UPDATE or INSERT ... RETURNING) and the events announcing it, recorded only if
   * it returned a row, in one statement: atomic without a transaction, one round trip. Resolves
   * with the change's first row. The events are built beforehand, from what the change writes.
   */
  recordWithChange<Row>(
    db: Kysely<DB> | Transaction<DB>,
    change: Compilable<Row> & OperationNodeSource,
    events: CloudEvent | CloudEvent[],
  ): Promise<Row | undefined>;
  /**
   * The outbox insert of `events` as a part (data-modifying CTE) of the caller's own
   * statement, written only where `gate` holds; the statement selects `outboxWake(db).notify`
   * and calls its `wrote()` once it wrote.
   */
  outboxInsert(events: CloudEvent | CloudEvent[], gate: RawBuilder<boolean>): RawBuilder<unknown>;
  /** Declares a consumer; it starts once the service is built and drains at shutdown. */
  consume<T>(spec: ConsumerSpec<T, DB>): void;
}

export function consumerGroup(service: string, consumer: string): string {
  return `${service}_${consumer}`;
}

/** Collects a service's consumers while its routes are declared, and starts them afterwards. */
export class ServiceEventsImpl implements ServiceEvents {
  readonly #service: string;
  readonly #consumers: ConsumerSpec[] = [];
  readonly #guard = new SchemaGuard();

  readonly #groupPrefix: string;

  constructor(service: string, groupPrefix = '') {
    this.#service = service;
    this.#groupPrefix = groupPrefix;
  }

  create<T>(event: Omit<NewEvent<T>, 'source'>): CloudEvent<T> {
    return createEvent({ ...event, source: this.#service });
  }

  async record(
    trx: Transaction<any>,
    events: CloudEvent | CloudEvent[],
    options: { along?: readonly Write[] } = {},
  ): Promise<void> {
    await enqueue(trx, this.#checked(events), options.along);
  }

  /**
   * Checked against the contracts here, in the writer's transaction: an invalid event would
   * otherwise be refused by the bus on every relay round and hold back every later event.
   */
  #checked(events: CloudEvent | CloudEvent[]): CloudEvent | CloudEvent[] {
    for (const event of Array.isArray(events) ? events : [events]) this.#guard.checkPublish(event);
    return events;
  }

  recordWithChange<Row>(
    db: Kysely<unknown> | Transaction<unknown>,
    change: Compilable<Row> & OperationNodeSource,
    events: CloudEvent | CloudEvent[],
  ): Promise<Row | undefined> {
    return enqueueWithChange(db, change, this.#checked(events));
  }

  outboxInsert(events: CloudEvent | CloudEvent[], gate: RawBuilder<boolean>): RawBuilder<unknown> {
    return outboxInsert(this.#checked(events), gate);
  }

  consume<T>(spec: ConsumerSpec<T>): void {
    for (const type of spec.types) subjectOfType(type);
    this.#consumers.push(spec as ConsumerSpec);
  }

  get consumers(): readonly ConsumerSpec[] {
    return this.#consumers;
  }

  /** The consumer group names this service subscribes with. */
  groups(): string[] {
    return this.#consumers.map(
      (spec) => `${this.#groupPrefix}${consumerGroup(this.#service, spec.name)}`,
    );
  }

  async start(bus: EventBus, database: Database, log: FastifyBaseLogger): Promise<Subscription[]> {
    return Promise.all(
      this.#consumers.map((spec) => {
        const group = `${this.#groupPrefix}${consumerGroup(this.#service, spec.name)}`;
        const apply = batchingInbox(
          database,
          group,
          // In a batch, each handler runs in its own event's trace, not the first event's.
          (event: CloudEvent, trx) => inEventContext(event, () => spec.handler(event, trx)),
          {
            // A batch's own statements (the inbox, handleBatch) go to its first event's trace.
            inContextOf: inEventContext,
            ...(spec.handleBatch
              ? { effectMany: (events: CloudEvent[], trx) => spec.handleBatch!(events, trx) }
              : {}),
            ...(spec.afterCommit
              ? { afterCommit: (events: CloudEvent[]) => spec.afterCommit!(events) }
              : {}),
          },
        );
        return bus.subscribe({
          group,
          subjects: spec.types.map(subjectOfType),
          ...(spec.maxDeliver ? { maxDeliver: spec.maxDeliver } : {}),
          // Several events in flight let the inbox apply them in one transaction; the bus still
          // hands over one subject's events one after another.
          concurrency: spec.concurrency ?? DEFAULT_CONSUMER_CONCURRENCY,
          handler: async ({ event, attempt }) => {
            const applied = await apply(event);
            if (!applied)
              log.debug({ group, eventId: event.id, attempt }, 'duplicate event skipped');
          },
        });
      }),
    );
  }
}

/** For services without a database: events need the outbox and the inbox, which live in it. */
export function eventsWithoutDatabase(service: string): ServiceEvents {
  const fail = (): never => {
    throw new Error(
      `Service ${service} declares no migrations, so it has no outbox or inbox for events`,
    );
  };
  return {
    create: (event) => createEvent({ ...event, source: service }),
    record: fail,
    recordWithChange: fail,
    outboxInsert: fail,
    consume: fail,
  };
}
