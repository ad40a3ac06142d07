import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
// pg parses jsonb into values; PGlite may hand back the text. Written as JSON text.
type Json = ColumnType<unknown, string, string>;
// bigint columns come back as numbers (the kit's parsers) or strings (pg): read with Number().
type BigInt = ColumnType<number | string, number, number>;

export interface OrderEventsTable {
  seq: Generated<number | string>;
  stream_id: string;
  version: number;
  tenant_id: string;
  type: string;
  data: Json;
  metadata: Json;
  recorded_at: Timestamp;
}

export interface OrderSnapshotsTable {
  stream_id: string;
  version: number;
  schema: number;
  state: Json;
  taken_at: Timestamp;
}

export interface OrderDetailTable {
  order_id: string;
  tenant_id: string;
  customer_id: string;
  status: 'pending' | 'confirmed' | 'cancelled';
  items: Json;
  total_cents: BigInt;
  currency: string;
  payment_method: string;
  payment_id: string | null;
  cancellation_reason: string | null;
  refunded_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: number;
}

export interface OrderListTable {
  order_id: string;
  tenant_id: string;
  customer_id: string;
  status: 'pending' | 'confirmed' | 'cancelled';
  total_cents: BigInt;
  currency: string;
  line_count: number;
  created_at: Timestamp;
  updated_at: Timestamp;
  version: number;
}

export interface ProductsTable {
  id: Generated<number | string>;
  tenant_id: string | null;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  created_at: Generated<Date>;
}

export interface IdempotencyKeysTable {
  tenant_id: string;
  user_id: string;
  key: string;
  request_hash: string;
  order_id: string;
  status: number;
  response: Json;
  created_at: Timestamp;
}

/** The kit's transactional outbox (created by the kit's own migration); tests read it. */
export interface OutboxTable {
  seq: Generated<number>;
  id: string;
  aggregate: string;
  type: string;
  event: Json;
  traceparent: string | null;
  created_at: Generated<Date>;
  sent_at: NullableTimestamp;
}

export interface OrdersDb {
  order_events: OrderEventsTable;
  order_snapshots: OrderSnapshotsTable;
  order_detail: OrderDetailTable;
  order_list: OrderListTable;
  products: ProductsTable;
  idempotency_keys: IdempotencyKeysTable;
  outbox: OutboxTable;
}

/** Repositories take either the database or an open transaction, so use cases choose the boundary. */
export type Executor = Kysely<OrdersDb> | Transaction<OrdersDb>;

/** pg parses jsonb; PGlite may hand back the text. */
export function jsonValue<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
