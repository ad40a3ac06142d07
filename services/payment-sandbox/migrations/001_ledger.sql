-- The sandbox processor's ledger. It keeps its own vocabulary (charges, refunds, failure codes)
-- on purpose: it stands in for an external card processor, not for one of our services.

CREATE TABLE charges (
  -- Listing order; the public id is random like a real processor's.
  seq bigserial UNIQUE,
  id text PRIMARY KEY,
  -- Unique when present: the same key can never create a second charge, even from two
  -- requests racing each other (the loser replays the winner's charge).
  idempotency_key text UNIQUE,
  -- SHA-256 of the request's parameters: the same key with other parameters is refused.
  request_hash text NOT NULL,
  amount integer NOT NULL CHECK (amount > 0),
  currency text NOT NULL,
  payment_method text NOT NULL,
  description text,
  status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  failure_code text,
  amount_refunded integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE refunds (
  seq bigserial UNIQUE,
  id text PRIMARY KEY,
  idempotency_key text UNIQUE,
  request_hash text NOT NULL,
  -- One refund per charge (full refunds only): a second one is refused, never paid twice.
  charge_id text NOT NULL UNIQUE REFERENCES charges (id),
  amount integer NOT NULL,
  currency text NOT NULL,
  reason text,
  status text NOT NULL CHECK (status = 'succeeded'),
  created_at timestamptz NOT NULL DEFAULT now()
);

-- pm_card_flaky fails transiently a set number of times per idempotency key; the count
-- survives a restart like the charges do.
CREATE TABLE transient_failures (
  idempotency_key text PRIMARY KEY,
  failures integer NOT NULL
);
