import { type Static, Type } from 'typebox';
import { defineContract } from '../contract.ts';

const paymentRef = {
  paymentId: Type.String({ minLength: 1 }),
  orderId: Type.String({ minLength: 1 }),
  tenantId: Type.String({ minLength: 1 }),
  customerId: Type.String({ minLength: 1 }),
  amountCents: Type.Integer({ minimum: 0 }),
  currency: Type.String({ minLength: 3, maxLength: 3 }),
};

export const PaymentSucceededV1 = Type.Object(paymentRef);
export type PaymentSucceededV1 = Static<typeof PaymentSucceededV1>;

/** Our reasons, never the provider's codes (the anti-corruption layer translates them). */
export const PaymentFailureReasonV1 = Type.Union([
  Type.Literal('payment_declined'),
  Type.Literal('insufficient_funds'),
  Type.Literal('payment_unavailable'),
]);
export type PaymentFailureReasonV1 = Static<typeof PaymentFailureReasonV1>;

export const PaymentFailedV1 = Type.Object({
  ...paymentRef,
  reason: PaymentFailureReasonV1,
});
export type PaymentFailedV1 = Static<typeof PaymentFailedV1>;

export const PaymentRefundedV1 = Type.Object({
  ...paymentRef,
  reason: Type.String(),
});
export type PaymentRefundedV1 = Static<typeof PaymentRefundedV1>;

const example = {
  paymentId: 'p1',
  orderId: 'o1',
  tenantId: 't1',
  customerId: 'u1',
  amountCents: 2598,
  currency: 'EUR',
};

export const paymentsContracts = [
  defineContract({
    type: 'lattice.payments.payment.succeeded.v1',
    schema: PaymentSucceededV1,
    producer: 'payments',
    consumers: ['orders', 'analytics'],
    description: "An order's payment was charged.",
    examples: [example],
  }),
  defineContract({
    type: 'lattice.payments.payment.failed.v1',
    schema: PaymentFailedV1,
    producer: 'payments',
    consumers: ['orders', 'analytics'],
    description:
      "An order's payment failed for good: declined, or the provider stayed unavailable.",
    examples: [{ ...example, reason: 'payment_declined' }],
  }),
  defineContract({
    type: 'lattice.payments.payment.refunded.v1',
    schema: PaymentRefundedV1,
    producer: 'payments',
    consumers: ['orders', 'notifications', 'analytics'],
    description: 'A charged payment was given back to the customer.',
    examples: [{ ...example, reason: 'cancelled_by_customer' }],
  }),
];
