import { defineError } from '../errors.ts';

/** Codes the event bus raises. Publishing never half-succeeds on these: nothing is sent. */
export const BusErrors = {
  unknownEventType: defineError('EVENT_TYPE_UNKNOWN', 500, 'Unknown event type'),
  invalidEvent: defineError('EVENT_INVALID', 500, 'Event does not match its contract'),
  invalidSubscription: defineError('EVENT_SUBSCRIPTION_INVALID', 500, 'Invalid subscription'),
  closed: defineError('EVENT_BUS_CLOSED', 503, 'Event bus is closed'),
  unavailable: defineError('EVENT_BUS_UNAVAILABLE', 503, 'Event broker unavailable'),
} as const;
