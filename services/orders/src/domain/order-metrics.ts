import { Counter, type Registry } from 'prom-client';
import type { StoredEvent } from '../data/event-store.ts';

export interface OrderMetrics {
  /** Counts what a committed command appended. */
  count(events: readonly StoredEvent[]): void;
}

/**
 * Business counters on the service's registry (served at /metrics). Labels are bounded: the
 * cancellation reasons of the contract. Requests count after their transaction committed, so a
 * refused command counts nothing. Consumers count when their handler returns, just before the
 * inbox commits the batch: if a batch fails and the inbox re-applies it event by event, its
 * orders may be counted twice — rare, and invisible in a rate over minutes.
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
