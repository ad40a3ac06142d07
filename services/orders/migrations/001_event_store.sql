-- The event store of the Order aggregate: the source of truth. Rows are only ever inserted;
-- an order's state is the fold of its stream (src/domain/order.ts).
-- Tenant and customer ids are text: they are the auth service's ids, whose format is its business.

CREATE TABLE order_events (
  -- Global position: the order events were recorded in, used to rebuild read models.
  seq bigserial PRIMARY KEY,
  -- The order id: one stream per order.
  stream_id uuid NOT NULL,
  -- 1, 2, 3... within the stream. The unique key is the optimistic concurrency check: two
  -- writers that read the same version cannot both append the next one.
  version integer NOT NULL CHECK (version >= 1),
  tenant_id text NOT NULL,
  type text NOT NULL,
  data jsonb NOT NULL,
  -- traceparent, the event or request that caused it, the actor.
  metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
  recorded_at timestamptz NOT NULL,
  UNIQUE (stream_id, version)
);

-- The state of an order at one version, so loading folds only the later events. Only the
-- latest is kept; `schema` names the shape of `state`, and a snapshot of another shape is
-- ignored (the stream is folded from the start), so changing the fold needs no migration.
CREATE TABLE order_snapshots (
  stream_id uuid PRIMARY KEY,
  version integer NOT NULL,
  schema integer NOT NULL,
  state jsonb NOT NULL,
  taken_at timestamptz NOT NULL
);
