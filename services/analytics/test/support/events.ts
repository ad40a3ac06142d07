import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@lattice/platform';

const SOURCES: Record<string, string> = {
  auth: '/lattice/auth',
  users: '/lattice/users',
  todos: '/lattice/todos',
  orders: '/lattice/orders',
  payments: '/lattice/payments',
};

/** A CloudEvent as its producer records it (contract-valid data is the caller's part). */
export function cloudEvent(
  type: string,
  tenantId: string,
  subject: string,
  time: Date,
  data: Record<string, unknown>,
  id: string = randomUUID(),
): CloudEvent {
  const context = type.split('.')[1] ?? '';
  return {
    specversion: '1.0',
    id,
    source: SOURCES[context] ?? `/lattice/${context}`,
    type,
    time: time.toISOString(),
    subject,
    tenantid: tenantId,
    datacontenttype: 'application/json',
    data,
  };
}

export const registered = (tenantId: string, userId: string, at: Date) =>
  cloudEvent('lattice.auth.user.registered.v1', tenantId, userId, at, {
    userId,
    tenantId,
    email: `${userId.slice(0, 8)}@example.com`,
    name: 'Someone',
    roles: ['member'],
  });

export const userDeleted = (tenantId: string, userId: string, by: string, at: Date) =>
  cloudEvent('lattice.users.user.deleted.v1', tenantId, userId, at, {
    userId,
    tenantId,
    deletedBy: by,
  });

export const todoCreated = (tenantId: string, ownerId: string, todoId: string, at: Date) =>
  cloudEvent('lattice.todos.todo.created.v1', tenantId, todoId, at, {
    todoId,
    tenantId,
    ownerId,
    title: 'Something to do',
    dueAt: null,
  });

export const todoCompleted = (tenantId: string, ownerId: string, todoId: string, at: Date) =>
  cloudEvent('lattice.todos.todo.completed.v1', tenantId, todoId, at, {
    todoId,
    tenantId,
    ownerId,
  });

export const todoDeleted = (tenantId: string, ownerId: string, todoId: string, at: Date) =>
  cloudEvent('lattice.todos.todo.deleted.v1', tenantId, todoId, at, {
    todoId,
    tenantId,
    ownerId,
    deletedBy: ownerId,
  });

export interface Order {
  orderId: string;
  tenantId: string;
  customerId: string;
  totalCents: number;
  currency: string;
}

export const orderPlaced = (order: Order, at: Date) =>
  cloudEvent('lattice.orders.order.placed.v1', order.tenantId, order.orderId, at, {
    ...order,
    items: [{ sku: 'MUG-01', name: 'Mug', quantity: 1, unitPriceCents: order.totalCents }],
    paymentMethod: 'pm_card_ok',
  });

export const orderConfirmed = (order: Order, paymentId: string, at: Date) =>
  cloudEvent('lattice.orders.order.confirmed.v1', order.tenantId, order.orderId, at, {
    ...order,
    paymentId,
  });

export const orderCancelled = (order: Order, reason: string, at: Date) =>
  cloudEvent('lattice.orders.order.cancelled.v1', order.tenantId, order.orderId, at, {
    ...order,
    reason,
  });

export const refundRequested = (order: Order, paymentId: string, at: Date) =>
  cloudEvent('lattice.orders.order.refund-requested.v1', order.tenantId, order.orderId, at, {
    ...order,
    paymentId,
    reason: 'cancelled_by_customer',
  });

const payment = (order: Order, paymentId: string) => ({
  paymentId,
  orderId: order.orderId,
  tenantId: order.tenantId,
  customerId: order.customerId,
  amountCents: order.totalCents,
  currency: order.currency,
});

export const paymentSucceeded = (order: Order, paymentId: string, at: Date) =>
  cloudEvent(
    'lattice.payments.payment.succeeded.v1',
    order.tenantId,
    paymentId,
    at,
    payment(order, paymentId),
  );

export const paymentFailed = (order: Order, paymentId: string, at: Date) =>
  cloudEvent('lattice.payments.payment.failed.v1', order.tenantId, paymentId, at, {
    ...payment(order, paymentId),
    reason: 'payment_declined',
  });

export const paymentRefunded = (order: Order, paymentId: string, at: Date) =>
  cloudEvent('lattice.payments.payment.refunded.v1', order.tenantId, paymentId, at, {
    ...payment(order, paymentId),
    reason: 'cancelled_by_customer',
  });
