import { Type } from 'typebox';

const DateTime = Type.String({ format: 'date-time', description: 'RFC 3339' });
const Status = Type.Union([
  Type.Literal('pending'),
  Type.Literal('confirmed'),
  Type.Literal('cancelled'),
]);
const Sku = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: '^[A-Z0-9][A-Z0-9-]*$',
  description: 'Upper-case letters, digits and dashes, e.g. MUG-01',
});

export const ProductReply = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  description: Type.String(),
  priceCents: Type.Integer(),
  currency: Type.String(),
});

export const ProductListReply = Type.Object({ items: Type.Array(ProductReply) });

export const NewProductBody = Type.Object(
  {
    sku: Sku,
    name: Type.String({ minLength: 1, maxLength: 200 }),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    priceCents: Type.Integer({ minimum: 0, maximum: 100_000_000 }),
    currency: Type.Optional(
      Type.Literal('EUR', { description: 'The catalog has one currency, EUR' }),
    ),
  },
  { additionalProperties: false },
);

export const OrderLineReply = Type.Object({
  sku: Type.String(),
  name: Type.String(),
  quantity: Type.Integer(),
  unitPriceCents: Type.Integer(),
});

export const OrderReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Status,
  items: Type.Array(OrderLineReply),
  totalCents: Type.Integer(),
  currency: Type.String(),
  paymentMethod: Type.String(),
  paymentId: Type.Optional(Type.String()),
  cancellationReason: Type.Optional(Type.String()),
  refundedAt: Type.Optional(DateTime),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const NewOrderBody = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          sku: Type.String({ minLength: 1, maxLength: 64 }),
          quantity: Type.Integer({ minimum: 1, maximum: 100 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: 50 },
    ),
    paymentMethod: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description: 'Passed to the payment provider as is; default pm_card_ok',
      }),
    ),
  },
  { additionalProperties: false },
);

// Header names are lower-case: Node lower-cases incoming headers before validation.
export const CreateHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      pattern: '^[\\x21-\\x7E]+$',
      description:
        'Required. Printable ASCII without spaces, e.g. a UUID. The same key and body replay the first response',
    }),
  ),
});

export const OrderSummaryReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Status,
  totalCents: Type.Integer(),
  currency: Type.String(),
  lineCount: Type.Integer(),
  createdAt: DateTime,
  updatedAt: DateTime,
});

export const OrderPageReply = Type.Object({
  items: Type.Array(OrderSummaryReply),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as cursor for the next page; null on the last page',
  }),
});

export const ListQuery = Type.Object({
  status: Type.Optional(Status),
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: "The previous page's nextCursor" }),
  ),
});

export const HistoryReply = Type.Object({
  items: Type.Array(
    Type.Object({
      version: Type.Integer({ minimum: 1 }),
      type: Type.String({ description: 'OrderPlaced, OrderConfirmed, OrderCancelled, …' }),
      data: Type.Record(Type.String(), Type.Unknown()),
      recordedAt: DateTime,
    }),
  ),
});

export const OrderParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ExpireBody = Type.Object(
  {
    olderThanMs: Type.Optional(
      Type.Integer({
        minimum: 0,
        description: 'Cancel orders pending longer than this; default ORDERS_PAYMENT_TIMEOUT_MS',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ExpireReply = Type.Object({ expired: Type.Integer({ minimum: 0 }) });
