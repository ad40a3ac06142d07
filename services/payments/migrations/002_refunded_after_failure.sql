-- A payment that failed as payment_unavailable may still have been charged (the provider
-- worked, its answer was lost); reconciliation then refunds it, and the payment is refunded
-- while keeping the reason it failed. Only a failed payment must have a reason.
ALTER TABLE payments DROP CONSTRAINT payments_check;
ALTER TABLE payments ADD CONSTRAINT payments_failure_reason_present
  CHECK (status <> 'failed' OR failure_reason IS NOT NULL);
