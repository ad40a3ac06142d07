import { Counter, type Registry } from 'prom-client';
import type { StoredEvent } from '../data/event-store.ts';

export interface OrderMetrics {
  /** Counts what a committed command appended. */
  count(events: readonly StoredEvent[]): void;
}

/**
 * Business counters on the service's registry (served at /metrics). Labels are bounded: the
 * cancellation reasons of the contract. Counted after the append's transaction committed, so
 * a rolled-back command counts nothing; an event batch the inbox re-applies one by one after a
 * failure may count its events twice, which a rate over minutes does not notice.
 */
export function orderMetrics(registry: Registry): OrderMetrics {
  const placed = new Counter({
    name: 'orders_placed_total',
    help: 'Orders placed',
    registers: [registry],
  });
  const confirmed = new Counter({
    name: 'orders_confirmed_total',
    help: 'Orders confirmed by a successful payment',
    registers: [registry],
  });
  const cancelled = new Counter({
    name: 'orders_cancelled_total',
    help: 'Orders cancelled, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const refunds = new Counter({
    name: 'orders_refunds_requested_total',
    help: 'Refunds requested (paid orders cancelled, late payments), by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  return {
    count(events) {
      for (const { event } of events) {
        if (event.type === 'OrderPlaced') placed.inc();
        else if (event.type === 'OrderConfirmed') confirmed.inc();
        else if (event.type === 'OrderCancelled') cancelled.inc({ reason: event.data.reason });
        else if (event.type === 'RefundRequested') refunds.inc({ reason: event.data.reason });
      }
    },
  };
}
