import type { PaymentFailedV1, PaymentRefundedV1, PaymentSucceededV1 } from '@lattice/contracts';
import type { CloudEvent, ServiceEvents } from '@lattice/platform';
import type { PaymentRow } from '../data/payments.ts';

// The CloudEvent subject is the payment id: one payment's events stay in order on the bus.

function reference(row: PaymentRow) {
  return {
    paymentId: row.id,
    orderId: row.order_id,
    tenantId: row.tenant_id,
    customerId: row.customer_id,
    amountCents: row.amount_cents,
    currency: row.currency,
  };
}

function envelope<T>(events: ServiceEvents, type: string, row: PaymentRow, data: T): CloudEvent<T> {
  return events.create({
    type,
    subject: row.id,
    tenantId: row.tenant_id,
    time: row.updated_at,
    traceparent: row.traceparent ?? undefined,
    data,
  });
}

export function paymentSucceeded(events: ServiceEvents, row: PaymentRow) {
  return envelope<PaymentSucceededV1>(
    events,
    'lattice.payments.payment.succeeded.v1',
    row,
    reference(row),
  );
}

export function paymentFailed(events: ServiceEvents, row: PaymentRow) {
  return envelope<PaymentFailedV1>(events, 'lattice.payments.payment.failed.v1', row, {
    ...reference(row),
    reason: row.failure_reason ?? 'payment_unavailable',
  });
}

export function paymentRefunded(events: ServiceEvents, row: PaymentRow) {
  return envelope<PaymentRefundedV1>(events, 'lattice.payments.payment.refunded.v1', row, {
    ...reference(row),
    reason: row.refund_reason ?? 'requested_by_operator',
  });
}
