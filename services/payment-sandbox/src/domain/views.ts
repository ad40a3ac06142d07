import type { ChargeRow, RefundRow } from '../data/ledger.ts';

/** A charge as the processor's API shows it (Unix seconds, lower-case currency). */
export function chargeView(row: ChargeRow) {
  return {
    id: row.id,
    object: 'charge' as const,
    amount: row.amount,
    currency: row.currency,
    payment_method: row.payment_method,
    description: row.description,
    status: row.status,
    paid: row.status === 'succeeded',
    failure_code: row.failure_code,
    refunded: row.amount_refunded > 0 && row.amount_refunded === row.amount,
    amount_refunded: row.amount_refunded,
    created: Math.floor(row.created_at.getTime() / 1000),
  };
}

export type ChargeView = ReturnType<typeof chargeView>;

export function refundView(row: RefundRow) {
  return {
    id: row.id,
    object: 'refund' as const,
    charge: row.charge_id,
    amount: row.amount,
    currency: row.currency,
    reason: row.reason,
    status: row.status,
    created: Math.floor(row.created_at.getTime() / 1000),
  };
}

export type RefundView = ReturnType<typeof refundView>;
