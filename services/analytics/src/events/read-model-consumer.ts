import type { ConsumerSpec } from '@lattice/platform';
import type { Counter } from 'prom-client';
import { applyEvents } from '../data/projection.ts';
import type { AnalyticsDb } from '../data/schema.ts';
import { CONSUMED_TYPES, READ_MODEL_CONSUMER } from './event-types.ts';

/**
 * Every domain event, applied to the read models through the kit's inbox: the event id is
 * recorded in the same transaction as the counters, so a redelivered or duplicated event
 * counts once.
 */
export function readModelConsumer(applied: Counter<'type'>): ConsumerSpec<unknown, AnalyticsDb> {
  return {
    name: READ_MODEL_CONSUMER,
    types: CONSUMED_TYPES,
    handler: async (event, trx) => {
      await applyEvents(trx, [event]);
      applied.inc({ type: event.type });
    },
  };
}
