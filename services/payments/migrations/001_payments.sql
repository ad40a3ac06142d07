-- One payment per order. The row is written (pending) before the provider is called, and its
-- outcome is written with the event announcing it, in one transaction: whatever happens in
-- between (a crash, a timeout) leaves a pending row that is charged again with the same
-- idempotency key, which the provider answers with the first charge.

CREATE TABLE payments (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  -- The orders service's ids, whose format is its business (text, like tenant and user ids).
  order_id text NOT NULL UNIQUE,
  customer_id text NOT NULL,
  amount_cents integer NOT NULL CHECK (amount_cents >= 0),
  currency text NOT NULL,
  payment_method text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'refunded')),
  failure_reason text
    CHECK (failure_reason IN ('payment_declined', 'insufficient_funds', 'payment_unavailable')),
  -- The provider's reference for the charge and the refund: opaque to us, kept for operators.
  charge_reference text,
  refund_reference text,
  -- Set when a refund is asked for (the event's reason, or requested_by_operator); the refund
  -- is done when status becomes refunded.
  refund_reason text,
  -- When the runner should next act on the payment (charge a pending one, refund one whose
  -- refund was asked for); null when there is nothing to do. A claimed payment's time moves a
  -- lease ahead, so a crashed runner's work is picked up again when the lease ends.
  next_action_at timestamptz,
  -- Attempts of the current action, for the backoff of retried refunds.
  attempts integer NOT NULL DEFAULT 0,
  -- The trace of the order that asked for the payment, carried into its outcome events.
  traceparent text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CHECK ((status = 'failed') = (failure_reason IS NOT NULL))
);

CREATE INDEX payments_due_idx ON payments (next_action_at) WHERE next_action_at IS NOT NULL;
-- Keyset pages of a tenant's payments, newest first.
CREATE INDEX payments_tenant_page_idx ON payments (tenant_id, created_at DESC, id DESC);
