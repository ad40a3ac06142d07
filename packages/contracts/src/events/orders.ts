import { type Static, Type } from 'typebox';
import { defineContract } from '../contract.ts';

const orderRef = {
  orderId: Type.String({ minLength: 1 }),
  tenantId: Type.String({ minLength: 1 }),
  /** The user who placed the order. */
  customerId: Type.String({ minLength: 1 }),
};

const money = {
  totalCents: Type.Integer({ minimum: 0 }),
  currency: Type.String({ minLength: 3, maxLength: 3 }),
};

export const OrderLineV1 = Type.Object({
  sku: Type.String({ minLength: 1 }),
  name: Type.String(),
  quantity: Type.Integer({ minimum: 1 }),
  unitPriceCents: Type.Integer({ minimum: 0 }),
});
export type OrderLineV1 = Static<typeof OrderLineV1>;

export const OrderPlacedV1 = Type.Object({
  ...orderRef,
  ...money,
  items: Type.Array(OrderLineV1, { minItems: 1 }),
  /** The payment method the customer chose, passed to the payment provider as is. */
  paymentMethod: Type.String({ minLength: 1 }),
});
export type OrderPlacedV1 = Static<typeof OrderPlacedV1>;

export const OrderConfirmedV1 = Type.Object({
  ...orderRef,
  ...money,
  paymentId: Type.String({ minLength: 1 }),
});
export type OrderConfirmedV1 = Static<typeof OrderConfirmedV1>;

/** Why an order was cancelled; `payment_declined` and `payment_unavailable` come from payments. */
export const CancellationReasonV1 = Type.Union([
  Type.Literal('payment_declined'),
  Type.Literal('insufficient_funds'),
  Type.Literal('payment_unavailable'),
  Type.Literal('payment_timeout'),
  Type.Literal('cancelled_by_customer'),
]);
export type CancellationReasonV1 = Static<typeof CancellationReasonV1>;

export const OrderCancelledV1 = Type.Object({
  ...orderRef,
  ...money,
  reason: CancellationReasonV1,
  /** Set when the order had been paid: payments refunds it (see refund-requested). */
  paymentId: Type.Optional(Type.String({ minLength: 1 })),
});
export type OrderCancelledV1 = Static<typeof OrderCancelledV1>;

/** Compensation: a payment that must be given back (a confirmed order cancelled, or a late success). */
export const OrderRefundRequestedV1 = Type.Object({
  ...orderRef,
  ...money,
  paymentId: Type.String({ minLength: 1 }),
  reason: CancellationReasonV1,
});
export type OrderRefundRequestedV1 = Static<typeof OrderRefundRequestedV1>;

const example = {
  orderId: '0195f3a0-7b1c-7000-8000-000000000101',
  tenantId: 't1',
  customerId: 'u1',
  totalCents: 2598,
  currency: 'EUR',
};

export const ordersContracts = [
  defineContract({
    type: 'lattice.orders.order.placed.v1',
    schema: OrderPlacedV1,
    producer: 'orders',
    consumers: ['payments', 'analytics'],
    description: 'A customer placed an order; payments charges it.',
    examples: [
      {
        ...example,
        items: [{ sku: 'MUG-01', name: 'Lattice mug', quantity: 2, unitPriceCents: 1299 }],
        paymentMethod: 'pm_card_ok',
      },
    ],
  }),
  defineContract({
    type: 'lattice.orders.order.confirmed.v1',
    schema: OrderConfirmedV1,
    producer: 'orders',
    consumers: ['notifications', 'analytics'],
    description: 'An order was paid and is confirmed.',
    examples: [{ ...example, paymentId: 'p1' }],
  }),
  defineContract({
    type: 'lattice.orders.order.cancelled.v1',
    schema: OrderCancelledV1,
    producer: 'orders',
    consumers: ['notifications', 'analytics'],
    description:
      'An order was cancelled: payment declined or unavailable, timed out, or by the customer.',
    examples: [
      { ...example, reason: 'payment_declined' },
      { ...example, reason: 'cancelled_by_customer', paymentId: 'p1' },
    ],
  }),
  defineContract({
    type: 'lattice.orders.order.refund-requested.v1',
    schema: OrderRefundRequestedV1,
    producer: 'orders',
    consumers: ['payments', 'analytics'],
    description:
      'A paid order must be refunded (cancelled after payment, or paid after it was cancelled).',
    examples: [{ ...example, paymentId: 'p1', reason: 'payment_timeout' }],
  }),
];
