// The event backbone's public API; the kit re-exports it from packages/platform/src/index.ts.
export {
  type CreateEventBusOptions,
  createEventBus,
  type EventBusConfig,
  sharedEmbeddedBus,
} from './create-event-bus.ts';
export {
  DEAD_LETTER_TYPE,
  type DeadLetter,
  DeadLetterData,
  DeadLetterHeaders,
} from './dead-letter.ts';
export { EmbeddedBus, type EmbeddedBusOptions, EmbeddedClient } from './embedded-bus.ts';
export { createEvent, type NewEvent, uuidv7 } from './envelope.ts';
export { BusErrors } from './errors.ts';
export type {
  CloudEvent,
  DeliveredEvent,
  EventBus,
  SubscribeOptions,
  Subscription,
} from './event-bus.ts';
export { JetStreamBus, type JetStreamBusOptions } from './jetstream-bus.ts';
export {
  type BusLogger,
  type BusObserver,
  DEFAULT_ACK_WAIT_MS,
  DEFAULT_MAX_DELIVER,
  DEFAULT_RETRY,
  type RetryPolicy,
} from './observer.ts';
export { type ContractLookup, SchemaGuard } from './schema-guard.ts';
export {
  contextOf,
  DEAD_LETTER_STREAM,
  deadLetterSubject,
  streamName,
  subjectMatches,
  subjectOfType,
  typeOfSubject,
} from './subjects.ts';
