import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  trace,
} from '@opentelemetry/api';
import type { CloudEvent, DeliveredEvent, EventBus, SubscribeOptions } from '../bus/event-bus.ts';
import { subjectOfType } from '../bus/subjects.ts';
import { failSpan, type ServiceTracing } from './tracing.ts';

// Messaging semantic conventions (incubating in @opentelemetry/semantic-conventions, so
// spelled out here rather than imported from its unstable entry point).
const MESSAGING_SYSTEM = 'messaging.system';
const MESSAGING_OPERATION_TYPE = 'messaging.operation.type';
const MESSAGING_OPERATION_NAME = 'messaging.operation.name';
const MESSAGING_DESTINATION_NAME = 'messaging.destination.name';
const MESSAGING_MESSAGE_ID = 'messaging.message.id';
const MESSAGING_CONSUMER_GROUP_NAME = 'messaging.consumer.group.name';
const MESSAGING_BATCH_MESSAGE_COUNT = 'messaging.batch.message_count';
const CLOUDEVENTS_EVENT_TYPE = 'cloudevents.event_type';
const CLOUDEVENTS_EVENT_SUBJECT = 'cloudevents.event_subject';
const DELIVERY_ATTEMPT = 'lattice.delivery.attempt';

/** The context an event was produced in: its CloudEvents `traceparent` (Distributed Tracing extension). */
export function eventContext(
  event: Pick<CloudEvent, 'traceparent'>,
  base: Context = ROOT_CONTEXT,
): Context {
  if (!event.traceparent) return base;
  return propagation.extract(base, { traceparent: event.traceparent });
}

/** The W3C traceparent of the active span, or undefined outside any span. */
export function activeTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

// Each delivered event's consumer context, so work done for it later (a batching inbox may
// apply it from another event's call) can run under its own span.
const consumerContexts = new WeakMap<object, Context>();

/** Runs `work` in the context of the consumer span of `event`, if it has one. */
export function inEventContext<T>(event: object, work: () => T): T {
  const saved = consumerContexts.get(event);
  return saved ? context.with(saved, work) : work();
}

/**
 * The service's EventBus with messaging spans: a PRODUCER span per published event (the
 * outbox relay publishes through it) that continues the trace stored in the event's
 * `traceparent`, and a CONSUMER span per delivery that is a child of the producer's span,
 * whatever the broker (the in-process bus or JetStream: the context travels in the event).
 */
export function tracedBus(bus: EventBus, tracing: ServiceTracing, system: string): EventBus {
  if (!tracing.enabled) return bus;
  const { tracer } = tracing;
  return {
    ping: () => bus.ping(),
    close: () => bus.close(),
    ...(bus.pending ? { pending: (group: string) => bus.pending!(group) } : {}),

    async publish(events: CloudEvent[]): Promise<void> {
      const spans: Span[] = [];
      const outgoing = events.map((event) => {
        const subject = subjectOfType(event.type);
        // The relay runs outside any request: the event's own traceparent is the parent, so
        // the publish continues the trace of the request that recorded the event.
        const parent = eventContext(event, context.active());
        const span = tracer.startSpan(
          `send ${subject}`,
          {
            kind: SpanKind.PRODUCER,
            attributes: {
              [MESSAGING_SYSTEM]: system,
              [MESSAGING_OPERATION_TYPE]: 'send',
              [MESSAGING_OPERATION_NAME]: 'publish',
              [MESSAGING_DESTINATION_NAME]: subject,
              [MESSAGING_MESSAGE_ID]: event.id,
              [MESSAGING_BATCH_MESSAGE_COUNT]: events.length,
              [CLOUDEVENTS_EVENT_TYPE]: event.type,
              [CLOUDEVENTS_EVENT_SUBJECT]: event.subject,
            },
          },
          parent,
        );
        spans.push(span);
        if (!span.isRecording() && !event.traceparent) return event;
        const carrier: Record<string, string> = {};
        propagation.inject(trace.setSpan(parent, span), carrier);
        // The consumer becomes a child of this publish: the event carries its context.
        return carrier.traceparent ? { ...event, traceparent: carrier.traceparent } : event;
      });
      try {
        await bus.publish(outgoing);
      } catch (error) {
        for (const span of spans) failSpan(span, error);
        throw error;
      } finally {
        for (const span of spans) span.end();
      }
    },

    subscribe<T>(options: SubscribeOptions<T>) {
      const { handler, group } = options;
      return bus.subscribe<T>({
        ...options,
        handler: (delivery: DeliveredEvent<T>) => {
          const { event } = delivery;
          const subject = subjectOfType(event.type);
          const parent = eventContext(event);
          const span = tracer.startSpan(
            `process ${subject}`,
            {
              kind: SpanKind.CONSUMER,
              attributes: {
                [MESSAGING_SYSTEM]: system,
                [MESSAGING_OPERATION_TYPE]: 'process',
                [MESSAGING_OPERATION_NAME]: 'process',
                [MESSAGING_DESTINATION_NAME]: subject,
                [MESSAGING_MESSAGE_ID]: event.id,
                [MESSAGING_CONSUMER_GROUP_NAME]: group,
                [CLOUDEVENTS_EVENT_TYPE]: event.type,
                [CLOUDEVENTS_EVENT_SUBJECT]: event.subject,
                [DELIVERY_ATTEMPT]: delivery.attempt,
              },
            },
            parent,
          );
          const active = trace.setSpan(parent, span);
          consumerContexts.set(event, active);
          return context.with(active, async () => {
            try {
              await handler(delivery);
            } catch (error) {
              failSpan(span, error);
              throw error;
            } finally {
              span.end();
            }
          });
        },
      });
    },
  };
}
