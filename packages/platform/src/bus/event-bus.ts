/**
 * The `EventBus` port. Services are written against this interface; the embedded bus and the
 * NATS JetStream adapter implement it (event-backbone issue). Events are CloudEvents 1.0 JSON.
 */
export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  /** Unique per event; also the broker's deduplication key. */
  id: string;
  /** The producing service, e.g. `/lattice/orders`. */
  source: string;
  /** e.g. `lattice.orders.order.placed.v1`. */
  type: string;
  time: string;
  /** The aggregate id the event is about; ordering is kept per subject. */
  subject: string;
  tenantid: string;
  traceparent?: string;
  datacontenttype: 'application/json';
  dataschema?: string;
  data: T;
}

export interface DeliveredEvent<T = unknown> {
  event: CloudEvent<T>;
  /** 1 on first delivery, higher on redeliveries. */
  attempt: number;
  /** Tells the broker the handler is still working, so the event is not redelivered yet. */
  inProgress(): void;
}

export interface SubscribeOptions<T = unknown> {
  /** Instances with the same group share the work (competing consumers); each group gets every event. */
  group: string;
  /** NATS-style subjects, wildcards allowed: `orders.order.*.v1`, `users.>`. */
  subjects: string[];
  /**
   * Resolving acknowledges the event; throwing makes it redelivered with backoff, up to
   * `maxDeliver` times, then dead-lettered with the error as the reason.
   */
  handler: (delivery: DeliveredEvent<T>) => Promise<void>;
  maxDeliver?: number;
  ackWaitMs?: number;
  /**
   * Events one subscriber handles at once (default 1). Events of one CloudEvent `subject` are
   * still handled one after the other.
   */
  concurrency?: number;
}

export interface Subscription {
  /** Stops taking new events and waits for the handlers in flight. */
  drain(): Promise<void>;
}

export interface EventBus {
  /** Resolves once the broker has stored every event (acknowledged publish). */
  publish(events: CloudEvent[]): Promise<void>;
  subscribe<T>(options: SubscribeOptions<T>): Promise<Subscription>;
  /** Resolves when the broker answers; used by readiness. */
  ping(): Promise<void>;
  /**
   * Events stored for `group` and not yet acknowledged (waiting or in flight), for metrics.
   * Only brokers that keep that count offer it.
   */
  pending?(group: string): Promise<number>;
  /** Drains every subscription, then closes the connection. */
  close(): Promise<void>;
}
