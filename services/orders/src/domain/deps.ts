import type { Database, ServiceEvents } from '@lattice/platform';
import type { KnownProducts } from '../data/known-products.ts';
import type { OrdersDb } from '../data/schema.ts';
import type { OrderMetrics } from './order-metrics.ts';

/** What the use cases need, built once in app.ts; tests reach them through HTTP and the bus. */
export interface OrdersDeps {
  database: Database<OrdersDb>;
  events: ServiceEvents<OrdersDb>;
  metrics: OrderMetrics;
  /** Products already read, for pricing orders without a catalog read. */
  products: KnownProducts;
  snapshotEvery: number;
  commandMaxAttempts: number;
  idempotencyTtlMs: number;
  paymentTimeoutMs: number;
  expireBatchSize: number;
  now(): Date;
  newId(): string;
}
