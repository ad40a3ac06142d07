import { Type } from 'typebox';
import { METRIC_NAMES } from '../domain/metrics.ts';

const time = (description: string) => Type.String({ format: 'date-time', description });

const range = {
  from: Type.Optional(
    time(
      'Start (inclusive), ISO 8601; rounded down to the interval. Default: 24 hours (hour) or 30 days (day, summary) before `to`',
    ),
  ),
  to: Type.Optional(
    time(
      'End (exclusive), ISO 8601; rounded up to the interval. Default: the end of the current interval',
    ),
  ),
  tenantId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: "Another tenant's id: platform-admin only (a tenant admin gets 403)",
    }),
  ),
};

export const SummaryQuery = Type.Object(range, { additionalProperties: false });

export const TimeseriesQuery = Type.Object(
  {
    metric: Type.Union(
      METRIC_NAMES.map((name) => Type.Literal(name)),
      { description: 'What to count' },
    ),
    interval: Type.Union([Type.Literal('hour'), Type.Literal('day')], {
      default: 'hour',
      description: 'Bucket size: an hour or a UTC day',
    }),
    currency: Type.Optional(
      Type.String({
        pattern: '^[A-Z]{3}$',
        description:
          'For revenue, refunds_amount and average_order_value: which currency (needed when the range has several)',
      }),
    ),
    ...range,
  },
  { additionalProperties: false },
);

const Money = Type.Object({
  currency: Type.String(),
  ordersConfirmed: Type.Integer(),
  revenueCents: Type.Integer(),
  averageOrderValueCents: Type.Union([Type.Number(), Type.Null()]),
  refunds: Type.Integer(),
  refundedCents: Type.Integer(),
});

export const SummaryReply = Type.Object({
  tenantId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  signups: Type.Integer(),
  activeUsers: Type.Integer({ description: 'Distinct users active in the range' }),
  usersDeleted: Type.Integer(),
  todosCreated: Type.Integer(),
  todosCompleted: Type.Integer(),
  todosDeleted: Type.Integer(),
  ordersPlaced: Type.Integer(),
  ordersConfirmed: Type.Integer(),
  ordersCancelled: Type.Integer(),
  refundsRequested: Type.Integer(),
  paymentsSucceeded: Type.Integer(),
  paymentsFailed: Type.Integer(),
  paymentFailureRate: Type.Union([Type.Number(), Type.Null()], {
    description: 'failed / (succeeded + failed); null without payments',
  }),
  refunds: Type.Integer({ description: 'Payments refunded, all currencies' }),
  revenue: Type.Array(Money, { description: 'Per currency: confirmed orders, revenue, refunds' }),
});

export const TimeseriesReply = Type.Object({
  metric: Type.String(),
  interval: Type.String(),
  tenantId: Type.String(),
  from: Type.String(),
  to: Type.String(),
  currency: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  points: Type.Array(
    Type.Object({
      t: Type.String({ description: "The bucket's start (UTC)" }),
      value: Type.Union([Type.Number(), Type.Null()], {
        description: 'Counts: 0 in empty buckets; ratios: null where the denominator is 0',
      }),
    }),
  ),
});
