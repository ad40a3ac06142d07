import { Type } from 'typebox';

const DateTime = Type.String({ format: 'date-time' });

export const PaymentReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  orderId: Type.String(),
  status: Type.Union([
    Type.Literal('pending'),
    Type.Literal('succeeded'),
    Type.Literal('failed'),
    Type.Literal('refunded'),
  ]),
  amountCents: Type.Integer({ minimum: 0 }),
  currency: Type.String({ minLength: 3, maxLength: 3 }),
  failureReason: Type.Optional(
    Type.Union([
      Type.Literal('payment_declined'),
      Type.Literal('insufficient_funds'),
      Type.Literal('payment_unavailable'),
    ]),
  ),
  refundPending: Type.Optional(
    Type.Boolean({ description: 'A refund was asked for and the provider has not done it yet' }),
  ),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const PaymentPageReply = Type.Object({
  items: Type.Array(PaymentReply),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as cursor for the next page; null on the last page',
  }),
});

export const ListQuery = Type.Object({
  orderId: Type.Optional(
    Type.String({ minLength: 1, maxLength: 100, description: 'Only the payment of this order' }),
  ),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: "The previous page's nextCursor" }),
  ),
});

export const PaymentParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
