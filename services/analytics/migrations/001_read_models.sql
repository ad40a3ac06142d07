-- Read models of the analytics service (CQRS): counters per tenant and per HOUR of the event's
-- own time (CloudEvent `time`, UTC), so late and out-of-order events land in the hour they
-- happened in. A day is the sum of its 24 hours (UTC days); active users are counted from the
-- exact (tenant, hour, user) set, distinct over whatever range is asked.
-- Every counter is written with INSERT ... ON CONFLICT DO UPDATE SET n = n + excluded.n, so
-- concurrent consumers never lose an increment. Tenant and user ids are text: they are the
-- auth service's ids, whose format is auth's business.

CREATE TABLE hourly_counts (
  tenant_id text NOT NULL,
  hour timestamptz NOT NULL,
  signups bigint NOT NULL DEFAULT 0,
  users_deleted bigint NOT NULL DEFAULT 0,
  todos_created bigint NOT NULL DEFAULT 0,
  todos_completed bigint NOT NULL DEFAULT 0,
  todos_deleted bigint NOT NULL DEFAULT 0,
  orders_placed bigint NOT NULL DEFAULT 0,
  orders_confirmed bigint NOT NULL DEFAULT 0,
  orders_cancelled bigint NOT NULL DEFAULT 0,
  refunds_requested bigint NOT NULL DEFAULT 0,
  payments_succeeded bigint NOT NULL DEFAULT 0,
  payments_failed bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour)
);

-- Money never mixes currencies: revenue, average order value and refunds are per currency.
CREATE TABLE hourly_money (
  tenant_id text NOT NULL,
  hour timestamptz NOT NULL,
  currency text NOT NULL,
  orders_confirmed bigint NOT NULL DEFAULT 0,
  revenue_cents bigint NOT NULL DEFAULT 0,
  refunds bigint NOT NULL DEFAULT 0,
  refunded_cents bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (tenant_id, hour, currency)
);

-- One row per user active in an hour: distinct users over any range stay exact.
CREATE TABLE hourly_active_users (
  tenant_id text NOT NULL,
  hour timestamptz NOT NULL,
  user_id text NOT NULL,
  PRIMARY KEY (tenant_id, hour, user_id)
);

-- Every event the read models were built from, in the order it was applied: the source of a
-- rebuild where no broker keeps the streams (embedded mode), and beyond a stream's retention.
-- Personal fields the read models never use (emails, names, titles, order lines) are left out.
CREATE TABLE event_log (
  seq bigserial PRIMARY KEY,
  event_id text NOT NULL UNIQUE,
  type text NOT NULL,
  tenant_id text NOT NULL,
  event_time timestamptz NOT NULL,
  event jsonb NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);
