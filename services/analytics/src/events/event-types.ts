/** Every domain event the read models are built from (contracts in packages/contracts/src/events). */
export const EventTypes = {
  userRegistered: 'lattice.auth.user.registered.v1',
  userDeleted: 'lattice.users.user.deleted.v1',
  todoCreated: 'lattice.todos.todo.created.v1',
  todoCompleted: 'lattice.todos.todo.completed.v1',
  todoDeleted: 'lattice.todos.todo.deleted.v1',
  orderPlaced: 'lattice.orders.order.placed.v1',
  orderConfirmed: 'lattice.orders.order.confirmed.v1',
  orderCancelled: 'lattice.orders.order.cancelled.v1',
  orderRefundRequested: 'lattice.orders.order.refund-requested.v1',
  paymentSucceeded: 'lattice.payments.payment.succeeded.v1',
  paymentFailed: 'lattice.payments.payment.failed.v1',
  paymentRefunded: 'lattice.payments.payment.refunded.v1',
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

export const CONSUMED_TYPES: EventType[] = Object.values(EventTypes);

/** The consumer's name: its group is `analytics_read-models`, and its inbox records use that. */
export const READ_MODEL_CONSUMER = 'read-models';
