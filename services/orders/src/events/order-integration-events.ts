import { createHash } from 'node:crypto';
import type {
  OrderCancelledV1,
  OrderConfirmedV1,
  OrderPlacedV1,
  OrderRefundRequestedV1,
} from '@lattice/contracts';
import type { CloudEvent, ServiceEvents } from '@lattice/platform';
import type { StoredEvent } from '../data/event-store.ts';
import type { Order } from '../domain/order.ts';

/**
 * The integration events (packages/contracts) a domain event announces, if any. Domain events
 * are this service's private history; integration events are the published, versioned
 * contract. The CloudEvent subject is the order id, so one order's events stay in order on the
 * bus, and the id is derived from (order, version): a command retried after a conflict can
 * never announce the same change twice under two ids.
 */
export function integrationEvents(
  events: ServiceEvents,
  stored: StoredEvent,
  order: Order,
): CloudEvent[] {
  const { event } = stored;
  const ref = { orderId: order.id, tenantId: order.tenantId, customerId: order.customerId };
  const money = { totalCents: order.totalCents, currency: order.currency };
  const envelope = {
    id: eventId(stored),
    subject: order.id,
    tenantId: order.tenantId,
    time: new Date(event.data.at),
    traceparent: stored.metadata.traceparent,
  };
  switch (event.type) {
    case 'OrderPlaced':
      return [
        events.create<OrderPlacedV1>({
          ...envelope,
          type: 'lattice.orders.order.placed.v1',
          data: { ...ref, ...money, items: order.items, paymentMethod: order.paymentMethod },
        }),
      ];
    case 'OrderConfirmed':
      return [
        events.create<OrderConfirmedV1>({
          ...envelope,
          type: 'lattice.orders.order.confirmed.v1',
          data: { ...ref, ...money, paymentId: event.data.paymentId },
        }),
      ];
    case 'OrderCancelled':
      return [
        events.create<OrderCancelledV1>({
          ...envelope,
          type: 'lattice.orders.order.cancelled.v1',
          data: {
            ...ref,
            ...money,
            reason: event.data.reason,
            ...(event.data.paymentId ? { paymentId: event.data.paymentId } : {}),
          },
        }),
      ];
    case 'RefundRequested':
      return [
        events.create<OrderRefundRequestedV1>({
          ...envelope,
          type: 'lattice.orders.order.refund-requested.v1',
          data: { ...ref, ...money, paymentId: event.data.paymentId, reason: event.data.reason },
        }),
      ];
    case 'PaymentRefunded':
      return [];
  }
}

/** A UUID (version 8, name-based) from the order, the version and the domain event. */
function eventId(stored: StoredEvent): string {
  const hex = createHash('sha256')
    .update(`lattice.orders:${stored.streamId}:${stored.version}:${stored.event.type}`)
    .digest('hex');
  const variant = ((Number.parseInt(hex[16] as string, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
