import type { ColumnType, Kysely, Transaction } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export type PaymentStatus = 'pending' | 'succeeded' | 'failed' | 'refunded';
export type FailureReason = 'payment_declined' | 'insufficient_funds' | 'payment_unavailable';

export interface PaymentsTable {
  id: string;
  tenant_id: string;
  order_id: string;
  customer_id: string;
  amount_cents: number;
  currency: string;
  payment_method: string;
  status: PaymentStatus;
  failure_reason: FailureReason | null;
  charge_reference: string | null;
  refund_reference: string | null;
  refund_reason: string | null;
  next_action_at: NullableTimestamp;
  attempts: ColumnType<number, number | undefined, number>;
  traceparent: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PaymentsDb {
  payments: PaymentsTable;
}

export type Executor = Kysely<PaymentsDb> | Transaction<PaymentsDb>;
