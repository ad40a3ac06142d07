import type { PaymentRow } from '../data/payments.ts';
import type { FailureReason, PaymentStatus } from '../data/schema.ts';

export interface Payment {
  id: string;
  orderId: string;
  status: PaymentStatus;
  amountCents: number;
  currency: string;
  failureReason?: FailureReason;
  /** True while a refund was asked for and is not done yet. */
  refundPending?: boolean;
  createdAt: string;
  updatedAt: string;
}

/** The API's view: our vocabulary only (no provider references). */
export function toPayment(row: PaymentRow): Payment {
  return {
    id: row.id,
    orderId: row.order_id,
    status: row.status,
    amountCents: row.amount_cents,
    currency: row.currency,
    ...(row.failure_reason ? { failureReason: row.failure_reason } : {}),
    ...(row.refund_reason !== null && row.status === 'succeeded' ? { refundPending: true } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
