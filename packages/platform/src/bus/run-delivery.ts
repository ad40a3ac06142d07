import { reasonOf } from './dead-letter.ts';
import type { CloudEvent, SubscribeOptions } from './event-bus.ts';
import { type BusObserver, type RetryPolicy, retryDelayMs } from './observer.ts';
import type { Decoded } from './schema-guard.ts';
import { isDeadLetterSubject } from './subjects.ts';

/** What the adapter must do with a message once `runDelivery` has looked at it. */
export type Outcome =
  | { kind: 'ack' }
  | { kind: 'retry'; delayMs: number }
  | { kind: 'dead'; reason: string; type: string; event?: CloudEvent }
  /** A broken dead letter: acknowledged and logged, as dead-lettering it again would loop. */
  | { kind: 'drop'; reason: string };

export interface DeliveryContext {
  group: string;
  handler: SubscribeOptions['handler'];
  maxDeliver: number;
  retry: RetryPolicy;
  observer: BusObserver | undefined;
}

/**
 * The delivery rules both adapters share, so a service behaves the same in both modes:
 * invalid → dead letter; handler resolves → ack; throws → retry with backoff until the
 * `maxDeliver`-th delivery, then dead letter. A delivery past `maxDeliver` means the last
 * attempt never answered (crash, ack timeout): dead-lettered without running the handler again.
 */
export async function runDelivery(
  context: DeliveryContext,
  subject: string,
  decoded: Decoded,
  attempt: number,
  inProgress: () => void,
): Promise<Outcome> {
  if (!decoded.ok) {
    if (isDeadLetterSubject(subject)) return { kind: 'drop', reason: decoded.reason };
    return { kind: 'dead', reason: decoded.reason, type: decoded.type, ...eventOf(decoded.event) };
  }
  const { event } = decoded;
  const { group, maxDeliver, observer } = context;
  if (attempt > maxDeliver) {
    return {
      kind: 'dead',
      type: event.type,
      event,
      reason: `not acknowledged after ${maxDeliver} deliveries (handler crashed or exceeded the ack wait)`,
    };
  }
  if (attempt > 1) observer?.redelivered?.(event.type, group, attempt);
  const started = performance.now();
  try {
    await context.handler({ event: event as CloudEvent<never>, attempt, inProgress });
  } catch (error) {
    observer?.failed?.(event.type, group, attempt, error);
    if (attempt >= maxDeliver) {
      return {
        kind: 'dead',
        type: event.type,
        event,
        reason: `handler failed on delivery ${attempt} of ${maxDeliver}: ${reasonOf(error)}`,
      };
    }
    return { kind: 'retry', delayMs: retryDelayMs(attempt, context.retry) };
  }
  observer?.consumed?.(event.type, group, performance.now() - started);
  return { kind: 'ack' };
}

const eventOf = (event: CloudEvent | undefined) => (event ? { event } : {});
