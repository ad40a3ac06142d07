import { Type } from 'typebox';

export const ordersConfig = Type.Object({
  ORDERS_PAYMENT_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    default: 300_000,
    description:
      'A pending order older than this is cancelled with reason payment_timeout when POST /internal/orders/expire-pending runs (the worker calls it on a schedule)',
  }),
  ORDERS_SNAPSHOT_EVERY: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 3,
    description:
      'A snapshot of an order is stored each time its stream crosses a multiple of this many events; loading folds only the events after the latest snapshot',
  }),
  ORDERS_COMMAND_MAX_ATTEMPTS: Type.Integer({
    minimum: 1,
    maximum: 20,
    default: 5,
    description:
      'How many times a command on one order is tried when another writer appended to the same order first (optimistic concurrency conflict)',
  }),
  ORDERS_IDEMPOTENCY_KEY_TTL_HOURS: Type.Integer({
    minimum: 1,
    maximum: 24 * 30,
    default: 24,
    description:
      'How long an Idempotency-Key of POST /orders replays its first response; afterwards the key is new again',
  }),
  ORDERS_EXPIRE_BATCH_SIZE: Type.Integer({
    minimum: 1,
    maximum: 10_000,
    default: 200,
    description:
      'Pending orders looked up at a time by expire-pending; each is cancelled in its own transaction',
  }),
});

export type OrdersConfigProperties = (typeof ordersConfig)['properties'];
