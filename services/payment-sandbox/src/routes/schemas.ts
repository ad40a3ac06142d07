import { Type } from 'typebox';

export const ChargeBody = Type.Object({
  amount: Type.Integer({ minimum: 1, maximum: 99_999_999, description: 'In minor units (cents)' }),
  currency: Type.String({ pattern: '^[A-Za-z]{3}$', description: 'ISO 4217, e.g. eur' }),
  payment_method: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 100,
      description:
        'A test payment method: pm_card_ok (default), pm_card_declined, pm_card_insufficient_funds, pm_card_slow, pm_card_flaky',
    }),
  ),
  description: Type.Optional(Type.String({ maxLength: 500 })),
});

export const RefundBody = Type.Object({
  charge: Type.String({ minLength: 1, maxLength: 100 }),
  reason: Type.Optional(Type.String({ maxLength: 100 })),
});

export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 255,
      description: 'The same key with the same parameters answers the first result again',
    }),
  ),
});

export const ChargeListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  starting_after: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  idempotency_key: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  payment_method: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  status: Type.Optional(Type.Union([Type.Literal('succeeded'), Type.Literal('failed')])),
  refunded: Type.Optional(Type.Boolean()),
});

export const ChargeParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

export const OutageBody = Type.Object({
  enabled: Type.Boolean(),
  mode: Type.Optional(
    Type.Union([Type.Literal('unavailable'), Type.Literal('lost_responses')], {
      description:
        'unavailable (default): refuse every call; lost_responses: make charges and refunds but answer 503',
    }),
  ),
});
