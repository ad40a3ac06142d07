import type { Selectable } from 'kysely';
import type { OrderDetailTable, OrderListTable } from '../data/schema.ts';
import { jsonValue } from '../data/schema.ts';
import type { Order, OrderLine, OrderStatus } from './order.ts';

/** An order as the API shows it; optional members are absent until they apply. */
export interface OrderView {
  id: string;
  status: OrderStatus;
  items: OrderLine[];
  totalCents: number;
  currency: string;
  paymentMethod: string;
  paymentId?: string;
  cancellationReason?: string;
  refundedAt?: string;
  createdAt: string;
  updatedAt: string;
}

export interface OrderSummary {
  id: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  lineCount: number;
  createdAt: string;
  updatedAt: string;
}

export function toOrderView(row: Selectable<OrderDetailTable>): OrderView {
  return {
    id: row.order_id,
    status: row.status,
    items: jsonValue<OrderLine[]>(row.items),
    totalCents: Number(row.total_cents),
    currency: row.currency,
    paymentMethod: row.payment_method,
    ...(row.payment_id ? { paymentId: row.payment_id } : {}),
    ...(row.cancellation_reason ? { cancellationReason: row.cancellation_reason } : {}),
    ...(row.refunded_at ? { refundedAt: row.refunded_at.toISOString() } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** The same view from the aggregate's state, which the read model mirrors. */
export function orderViewOf(order: Order): OrderView {
  return {
    id: order.id,
    status: order.status,
    items: order.items,
    totalCents: order.totalCents,
    currency: order.currency,
    paymentMethod: order.paymentMethod,
    ...(order.paymentId ? { paymentId: order.paymentId } : {}),
    ...(order.cancellationReason ? { cancellationReason: order.cancellationReason } : {}),
    ...(order.refundedAt ? { refundedAt: order.refundedAt } : {}),
    createdAt: order.createdAt,
    updatedAt: order.updatedAt,
  };
}

export function toOrderSummary(row: Selectable<OrderListTable>): OrderSummary {
  return {
    id: row.order_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    lineCount: row.line_count,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
