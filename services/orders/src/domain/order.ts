import type { CancellationReasonV1, PaymentFailureReasonV1 } from '@lattice/contracts';

// The Order aggregate, event-sourced: its state is nothing but the fold of its domain events.
// No I/O here; the event store (src/data/event-store.ts) persists what this module decides.

export type OrderStatus = 'pending' | 'confirmed' | 'cancelled';
export type CancellationReason = CancellationReasonV1;

export interface OrderLine {
  sku: string;
  name: string;
  quantity: number;
  unitPriceCents: number;
}

export interface OrderPlaced {
  type: 'OrderPlaced';
  data: {
    orderId: string;
    tenantId: string;
    customerId: string;
    items: OrderLine[];
    totalCents: number;
    currency: string;
    paymentMethod: string;
    at: string;
  };
}
export interface OrderConfirmed {
  type: 'OrderConfirmed';
  data: { paymentId: string; at: string };
}
export interface OrderCancelled {
  type: 'OrderCancelled';
  /** `paymentId` when the order had been paid: the refund of that payment is requested with it. */
  data: { reason: CancellationReason; paymentId?: string; at: string };
}
/** Compensation: a payment of this order must be given back. */
export interface RefundRequested {
  type: 'RefundRequested';
  data: { paymentId: string; reason: CancellationReason; at: string };
}
/** Payments reports the money is back with the customer. */
export interface PaymentRefunded {
  type: 'PaymentRefunded';
  data: { paymentId: string; reason: string; at: string };
}

export type OrderEvent =
  | OrderPlaced
  | OrderConfirmed
  | OrderCancelled
  | RefundRequested
  | PaymentRefunded;

export type OrderEventType = OrderEvent['type'];

export interface Order {
  id: string;
  tenantId: string;
  customerId: string;
  status: OrderStatus;
  items: OrderLine[];
  totalCents: number;
  currency: string;
  paymentMethod: string;
  /** The payment that confirmed the order, or the late one whose refund was requested. */
  paymentId: string | null;
  cancellationReason: CancellationReason | null;
  /** Payments whose refund was requested, so a redelivered success asks only once. */
  refundsRequested: string[];
  /** Payments reported refunded. */
  refunded: string[];
  refundedAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** How many events the state folds: the stream's version. */
  version: number;
}

/** Version of the `Order` shape stored in snapshots; bump it when the fold changes. */
export const ORDER_SNAPSHOT_SCHEMA = 1;

/** One step of the fold. Events were validated when decided, so this never refuses one. */
export function evolve(state: Order | undefined, event: OrderEvent): Order {
  if (event.type === 'OrderPlaced') {
    const d = event.data;
    return {
      id: d.orderId,
      tenantId: d.tenantId,
      customerId: d.customerId,
      status: 'pending',
      items: d.items,
      totalCents: d.totalCents,
      currency: d.currency,
      paymentMethod: d.paymentMethod,
      paymentId: null,
      cancellationReason: null,
      refundsRequested: [],
      refunded: [],
      refundedAt: null,
      createdAt: d.at,
      updatedAt: d.at,
      version: 1,
    };
  }
  if (!state) throw new Error(`${event.type} before OrderPlaced: the stream is corrupt`);
  const next: Order = { ...state, updatedAt: event.data.at, version: state.version + 1 };
  switch (event.type) {
    case 'OrderConfirmed':
      return { ...next, status: 'confirmed', paymentId: event.data.paymentId };
    case 'OrderCancelled':
      return {
        ...next,
        status: 'cancelled',
        cancellationReason: event.data.reason,
        paymentId: event.data.paymentId ?? state.paymentId,
      };
    case 'RefundRequested':
      return {
        ...next,
        paymentId: state.paymentId ?? event.data.paymentId,
        refundsRequested: [...state.refundsRequested, event.data.paymentId],
      };
    case 'PaymentRefunded':
      return {
        ...next,
        refunded: [...state.refunded, event.data.paymentId],
        refundedAt: event.data.at,
      };
  }
}

export function fold(state: Order | undefined, events: readonly OrderEvent[]): Order | undefined {
  return events.reduce<Order | undefined>(evolve, state);
}

// Decisions: given the current state and a command, the new events (none when the command is
// already satisfied, which is what makes redelivered payment events harmless).

export interface PlaceOrder {
  orderId: string;
  tenantId: string;
  customerId: string;
  items: OrderLine[];
  currency: string;
  paymentMethod: string;
  at: Date;
}

export function placeOrder(state: Order | undefined, command: PlaceOrder): OrderEvent[] {
  if (state) return [];
  const totalCents = command.items.reduce(
    (sum, line) => sum + line.quantity * line.unitPriceCents,
    0,
  );
  return [
    {
      type: 'OrderPlaced',
      data: {
        orderId: command.orderId,
        tenantId: command.tenantId,
        customerId: command.customerId,
        items: command.items,
        totalCents,
        currency: command.currency,
        paymentMethod: command.paymentMethod,
        at: command.at.toISOString(),
      },
    },
  ];
}

/**
 * Payment succeeded. Pending: confirmed. Already confirmed by it: nothing (a redelivery).
 * Cancelled meanwhile (timeout, customer): the money must go back, once per payment.
 */
export function paymentSucceeded(state: Order, paymentId: string, at: Date): OrderEvent[] {
  if (state.status === 'pending') {
    return [{ type: 'OrderConfirmed', data: { paymentId, at: at.toISOString() } }];
  }
  if (state.status === 'cancelled' && !state.refundsRequested.includes(paymentId)) {
    const reason = state.cancellationReason ?? 'payment_timeout';
    return [{ type: 'RefundRequested', data: { paymentId, reason, at: at.toISOString() } }];
  }
  return [];
}

/** Payment failed for good: a pending order is cancelled with the failure's reason; else nothing. */
export function paymentFailed(
  state: Order,
  reason: PaymentFailureReasonV1,
  at: Date,
): OrderEvent[] {
  if (state.status !== 'pending') return [];
  return [{ type: 'OrderCancelled', data: { reason, at: at.toISOString() } }];
}

/** Pending past the payment timeout: cancelled; an order decided meanwhile stays as it is. */
export function expireOrder(state: Order, at: Date): OrderEvent[] {
  if (state.status !== 'pending') return [];
  return [{ type: 'OrderCancelled', data: { reason: 'payment_timeout', at: at.toISOString() } }];
}

export class OrderAlreadyCancelled extends Error {
  constructor() {
    super('the order is already cancelled');
    this.name = 'OrderAlreadyCancelled';
  }
}

/** The customer cancels: a pending order just stops; a paid one is cancelled and refunded. */
export function cancelByCustomer(state: Order, at: Date): OrderEvent[] {
  const time = at.toISOString();
  const reason = 'cancelled_by_customer';
  if (state.status === 'cancelled') throw new OrderAlreadyCancelled();
  if (state.status === 'pending') return [{ type: 'OrderCancelled', data: { reason, at: time } }];
  const paymentId = state.paymentId as string;
  return [
    { type: 'OrderCancelled', data: { reason, paymentId, at: time } },
    { type: 'RefundRequested', data: { paymentId, reason, at: time } },
  ];
}

/** Payments gave a payment back: recorded once per payment. */
export function paymentRefunded(
  state: Order,
  paymentId: string,
  reason: string,
  at: Date,
): OrderEvent[] {
  if (state.refunded.includes(paymentId)) return [];
  return [{ type: 'PaymentRefunded', data: { paymentId, reason, at: at.toISOString() } }];
}
