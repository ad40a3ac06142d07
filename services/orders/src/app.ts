import { type ServiceDefinition, uuidv7 } from '@lattice/platform';
import { type OrdersConfigProperties, ordersConfig } from './config.ts';
import { KnownProducts } from './data/known-products.ts';
import type { OrdersDb } from './data/schema.ts';
import type { OrdersDeps } from './domain/deps.ts';
import { expireIdempotencyKeys } from './domain/idempotency.ts';
import { orderMetrics } from './domain/order-metrics.ts';
import { paymentOutcomesConsumer } from './events/payment-outcomes.ts';
import { registerInternalRoutes } from './routes/internal-routes.ts';
import { registerOrderRoutes } from './routes/order-routes.ts';
import { registerProductRoutes } from './routes/product-routes.ts';

const HOUR_MS = 60 * 60 * 1000;

/** Event-sourced orders with read models, the product catalog, and the payment saga's steps. */
export const service: ServiceDefinition<OrdersConfigProperties, OrdersDb> = {
  name: 'orders',
  description:
    "The catalog and the caller's orders: place (idempotent), read, list, history, cancel; the saga steering each order through payment",
  config: ordersConfig,
  migrations: new URL('../migrations/', import.meta.url),
  routes(app, { config, db, events, auth, log, metrics, onClose }) {
    const deps: OrdersDeps = {
      database: db,
      events,
      metrics: orderMetrics(metrics),
      products: new KnownProducts(),
      snapshotEvery: config.ORDERS_SNAPSHOT_EVERY,
      commandMaxAttempts: config.ORDERS_COMMAND_MAX_ATTEMPTS,
      idempotencyTtlMs: config.ORDERS_IDEMPOTENCY_KEY_TTL_HOURS * HOUR_MS,
      paymentTimeoutMs: config.ORDERS_PAYMENT_TIMEOUT_MS,
      expireBatchSize: config.ORDERS_EXPIRE_BATCH_SIZE,
      now: () => new Date(),
      // Time-ordered ids keep inserts at the right edge of the primary key indexes.
      newId: () => uuidv7(),
    };
    registerProductRoutes(app, deps, auth);
    registerOrderRoutes(app, deps, auth);
    registerInternalRoutes(app, deps, auth);
    events.consume(paymentOutcomesConsumer(deps, log));

    // Expired keys already behave as absent; the sweep only keeps the table small. Every
    // instance sweeps: the deletes are idempotent, so no coordination is needed.
    const sweeper = setInterval(() => {
      expireIdempotencyKeys(deps).catch((error: unknown) => {
        log.warn({ err: error }, 'expiring idempotency keys failed; the next sweep retries');
      });
    }, HOUR_MS);
    sweeper.unref();
    onClose(() => clearInterval(sweeper));
  },
};
