import type { ConsumerMessages, JetStreamClient, JsMsg } from '@nats-io/jetstream';
import type { SubscribeOptions } from './event-bus.ts';
import type { BusLogger } from './observer.ts';
import { type DeliveryContext, type Outcome, runDelivery } from './run-delivery.ts';
import type { SchemaGuard } from './schema-guard.ts';
import { subjectFilter } from './subjects.ts';

export interface ConsumeLoopOptions {
  js: JetStreamClient;
  stream: string;
  subscription: SubscribeOptions;
  context: DeliveryContext;
  guard: SchemaGuard;
  ackWaitMs: number;
  /** Messages pulled ahead; kept small, as a buffered message's ack wait is already running. */
  prefetch: number;
  logger: BusLogger | undefined;
  deadLetter(message: JsMsg, outcome: Extract<Outcome, { kind: 'dead' }>): Promise<void>;
}

/**
 * Pulls from one durable consumer (`consume()`), runs each message through the shared delivery
 * rules and answers the server: ack, nak with a delay, or dead letter then term. Up to
 * `concurrency` messages at once, one at a time per CloudEvent subject.
 */
export class ConsumeLoop {
  readonly #options: ConsumeLoopOptions;
  readonly #wanted: (subject: string) => boolean;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #tails = new Map<string, Promise<void>>();
  /** Answers to the server given during this turn of the event loop, sent together at its end. */
  readonly #answers: Array<() => void> = [];
  #messages: ConsumerMessages | undefined;
  #running: Promise<void> | undefined;
  #stopping = false;

  constructor(options: ConsumeLoopOptions) {
    this.#options = options;
    this.#wanted = subjectFilter(options.subscription.subjects);
  }

  async start(): Promise<void> {
    const { js, stream, subscription, prefetch } = this.#options;
    const consumer = await js.consumers.get(stream, subscription.group);
    this.#messages = await consumer.consume({ max_messages: prefetch });
    this.#running = this.#run(this.#messages);
  }

  /** Stops pulling, hands back what was buffered, and waits for the handlers in flight. */
  async drain(): Promise<void> {
    this.#stopping = true;
    await this.#messages?.close();
    await this.#running;
    await Promise.all(this.#inFlight);
    this.#sendAnswers();
  }

  /** As a crash: stop without answering anything; the server redelivers after the ack wait. */
  abandon(): void {
    this.#stopping = true;
    this.#answers.length = 0;
    this.#messages?.stop();
  }

  /**
   * Queues an ack, nak or term. The client writes to the socket once per microtask checkpoint,
   * and the deliveries of one inbox batch resolve in separate promise chains: answered at once,
   * each was its own write (and a wake-up of the server), ~80 bytes each. Sent at the end of
   * the event loop's turn, they share one.
   */
  #answerSoon(reply: () => void): void {
    if (this.#answers.push(reply) === 1) setImmediate(this.#sendAnswers);
  }

  readonly #sendAnswers = (): void => {
    for (const reply of this.#answers.splice(0)) answer(reply);
  };

  async #run(messages: ConsumerMessages): Promise<void> {
    const concurrency = Math.max(1, this.#options.subscription.concurrency ?? 1);
    try {
      for await (const message of messages) {
        if (this.#stopping) {
          this.#answerSoon(() => message.nak());
          continue;
        }
        while (this.#inFlight.size >= concurrency) await Promise.race(this.#inFlight);
        const task = this.#schedule(message).finally(() => this.#inFlight.delete(task));
        this.#inFlight.add(task);
      }
    } catch (error) {
      this.#options.logger?.error(
        { err: error, stream: this.#options.stream },
        'event consumer stopped',
      );
    }
  }

  #schedule(message: JsMsg): Promise<void> {
    // The ack wait runs from delivery: keep it alive while the message waits and runs.
    const interval = Math.max(100, Math.floor(this.#options.ackWaitMs / 2));
    const heartbeat = setInterval(() => answer(() => message.working()), interval);
    heartbeat.unref();
    const decoded = this.#options.guard.decode(message.subject, message.data);
    const key = decoded.ok ? decoded.event.subject : undefined;
    const previous = key === undefined ? undefined : this.#tails.get(key);
    const task = (previous ?? Promise.resolve())
      .then(() => this.#handle(message, decoded))
      .finally(() => {
        clearInterval(heartbeat);
        if (key !== undefined && this.#tails.get(key) === task) this.#tails.delete(key);
      });
    if (key !== undefined) this.#tails.set(key, task);
    return task;
  }

  async #handle(message: JsMsg, decoded: ReturnType<SchemaGuard['decode']>): Promise<void> {
    const { context, logger } = this.#options;
    if (!this.#wanted(message.subject)) {
      // Only on servers without multi-filter consumers, which deliver the whole context.
      this.#answerSoon(() => message.ack());
      return;
    }
    if (this.#stopping) {
      this.#answerSoon(() => message.nak());
      return;
    }
    const attempt = message.info.deliveryCount;
    let outcome: Outcome;
    try {
      outcome = await runDelivery(context, message.subject, decoded, attempt, () =>
        answer(() => message.working()),
      );
    } catch {
      outcome = { kind: 'retry', delayMs: context.retry.baseMs };
    }
    switch (outcome.kind) {
      case 'ack':
        this.#answerSoon(() => message.ack());
        return;
      case 'retry':
        this.#answerSoon(() => message.nak(outcome.delayMs));
        return;
      case 'drop':
        logger?.warn(
          { subject: message.subject, reason: outcome.reason },
          'broken dead letter dropped',
        );
        this.#answerSoon(() => message.ack());
        return;
      case 'dead':
        try {
          await this.#options.deadLetter(message, outcome);
          this.#answerSoon(() => message.term());
        } catch (error) {
          // Not stored as a dead letter: let the server deliver it once more rather than lose it.
          logger?.error({ err: error, subject: message.subject }, 'dead-letter publish failed');
          this.#answerSoon(() => message.nak(context.retry.baseMs));
        }
    }
  }
}

/** Acks go out on the connection; a closed one throws, and the server will redeliver anyway. */
function answer(reply: () => void): void {
  try {
    reply();
  } catch {}
}
