-- The first response to each Idempotency-Key of POST /orders, per tenant and user, written in
-- the transaction that places the order: a key exists if and only if its order does.
CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  key text NOT NULL,
  -- SHA-256 of the request body in canonical JSON: the same key with another body is refused.
  request_hash text NOT NULL,
  order_id uuid NOT NULL,
  status smallint NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, user_id, key)
);
-- The sweeper deletes expired keys without scanning the live ones.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
