import type { CloudEvent, ConsumerSpec } from '@lattice/platform';
import type { Transaction } from 'kysely';
import type { Counter } from 'prom-client';
import { applyEvents } from '../data/projection.ts';
import type { AnalyticsDb } from '../data/schema.ts';
import { CONSUMED_TYPES, READ_MODEL_CONSUMER } from './event-types.ts';

/**
 * Every domain event, applied to the read models through the kit's inbox: the event id is
 * recorded in the same transaction as the counters, so a redelivered or duplicated event
 * counts once. A whole inbox batch goes through `handleBatch` (the projection sums it per row
 * first: one statement per table for the batch); a batch that fails is re-applied event by
 * event through `handler`, the same projection with a batch of one.
 */
export function readModelConsumer(applied: Counter<'type'>): ConsumerSpec<unknown, AnalyticsDb> {
  const apply = async (events: CloudEvent[], trx: Transaction<AnalyticsDb>) => {
    await applyEvents(trx, events);
    // Counted once per type and batch: the counter's label lookup is per call, not per event.
    const byType = new Map<string, number>();
    for (const event of events) byType.set(event.type, (byType.get(event.type) ?? 0) + 1);
    for (const [type, n] of byType) applied.inc({ type }, n);
  };
  return {
    name: READ_MODEL_CONSUMER,
    types: CONSUMED_TYPES,
    handler: (event, trx) => apply([event], trx),
    handleBatch: apply,
  };
}
