-- Read models (CQRS), written from the domain events in the transaction that appends them
-- (src/data/projections.ts) and rebuilt from order_events by `npm run rebuild-projections`.
-- `version` is the last event applied: a projector skips any event at or below it, so applying
-- the same event twice changes nothing.

-- The detail of one order: GET /orders/:id.
CREATE TABLE order_detail (
  order_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  customer_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
  -- [{sku, name, quantity, unitPriceCents}]
  items jsonb NOT NULL,
  total_cents bigint NOT NULL,
  currency text NOT NULL,
  payment_method text NOT NULL,
  payment_id text,
  cancellation_reason text,
  refunded_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL
);

-- One line per order for the customer's pages: GET /orders?status&limit&cursor.
CREATE TABLE order_list (
  order_id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  customer_id text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'confirmed', 'cancelled')),
  total_cents bigint NOT NULL,
  currency text NOT NULL,
  line_count integer NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  version integer NOT NULL
);
-- Keyset pages of one customer's orders, newest first, with or without a status filter.
CREATE INDEX order_list_customer_page_idx
  ON order_list (tenant_id, customer_id, created_at DESC, order_id DESC);
CREATE INDEX order_list_customer_status_page_idx
  ON order_list (tenant_id, customer_id, status, created_at DESC, order_id DESC);
-- The payment-timeout sweep reads the oldest pending orders of every tenant.
CREATE INDEX order_list_pending_idx ON order_list (created_at) WHERE status = 'pending';
