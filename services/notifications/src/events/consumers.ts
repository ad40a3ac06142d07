import type {
  OrderCancelledV1,
  OrderConfirmedV1,
  PaymentRefundedV1,
  TodoCompletedV1,
  TodoCreatedV1,
  TodoDeletedV1,
  UserRegisteredV1,
} from '@lattice/contracts';
import type { CloudEvent, ConsumerSpec } from '@lattice/platform';
import type { Transaction } from 'kysely';
import { insertPending } from '../data/notifications.ts';
import { rememberRecipient } from '../data/recipients.ts';
import { cancelReminder, scheduleReminder } from '../data/reminders.ts';
import type { NotificationsDb } from '../data/schema.ts';
import type { NotificationsDeps } from '../domain/deps.ts';
import type { NotificationParams, NotificationType } from '../domain/notification-types.ts';
import { notifyAtCommit } from '../domain/wake.ts';

export const USER_REGISTERED = 'lattice.auth.user.registered.v1';
export const ORDER_CONFIRMED = 'lattice.orders.order.confirmed.v1';
export const ORDER_CANCELLED = 'lattice.orders.order.cancelled.v1';
export const PAYMENT_REFUNDED = 'lattice.payments.payment.refunded.v1';
export const TODO_CREATED = 'lattice.todos.todo.created.v1';
export const TODO_COMPLETED = 'lattice.todos.todo.completed.v1';
export const TODO_DELETED = 'lattice.todos.todo.deleted.v1';

type Trx = Transaction<NotificationsDb>;

/**
 * Stores the notification an event means for its recipient, to be rendered and published
 * after commit. The (event id, recipient) key makes a redelivery that slipped past the inbox
 * (another consumer group, a replay under a new group) a no-op too.
 */
async function store<T extends NotificationType>(
  deps: NotificationsDeps,
  trx: Trx,
  event: CloudEvent,
  recipient: { tenantId: string; userId: string },
  type: T,
  params: NotificationParams[T],
): Promise<void> {
  const age = deps.now().getTime() - Date.parse(event.time);
  if (age > deps.maxEventAgeMs) {
    deps.log.debug({ eventId: event.id, type: event.type }, 'stale event: no notification');
    return;
  }
  const inserted = await insertPending(trx, {
    id: deps.newId(),
    tenantId: recipient.tenantId,
    userId: recipient.userId,
    eventId: event.id,
    type,
    params,
  });
  if (inserted) await notifyAtCommit(trx, deps.channels.pending);
}

/** What each consumed event means; the kit has checked it against its contract already. */
async function apply(deps: NotificationsDeps, event: CloudEvent, trx: Trx): Promise<void> {
  switch (event.type) {
    case USER_REGISTERED: {
      const data = event.data as UserRegisteredV1;
      await rememberRecipient(trx, {
        userId: data.userId,
        tenantId: data.tenantId,
        email: data.email,
        name: data.name,
      });
      await store(deps, trx, event, { tenantId: data.tenantId, userId: data.userId }, 'welcome', {
        name: data.name,
      });
      return;
    }
    case ORDER_CONFIRMED: {
      const data = event.data as OrderConfirmedV1;
      await store(
        deps,
        trx,
        event,
        { tenantId: data.tenantId, userId: data.customerId },
        'order_confirmed',
        { orderId: data.orderId, totalCents: data.totalCents, currency: data.currency },
      );
      return;
    }
    case ORDER_CANCELLED: {
      const data = event.data as OrderCancelledV1;
      await store(
        deps,
        trx,
        event,
        { tenantId: data.tenantId, userId: data.customerId },
        'order_cancelled',
        {
          orderId: data.orderId,
          totalCents: data.totalCents,
          currency: data.currency,
          reason: data.reason,
          ...(data.paymentId ? { paymentId: data.paymentId } : {}),
        },
      );
      return;
    }
    case PAYMENT_REFUNDED: {
      const data = event.data as PaymentRefundedV1;
      await store(
        deps,
        trx,
        event,
        { tenantId: data.tenantId, userId: data.customerId },
        'payment_refunded',
        {
          orderId: data.orderId,
          amountCents: data.amountCents,
          currency: data.currency,
          reason: data.reason,
        },
      );
      return;
    }
    case TODO_CREATED: {
      const data = event.data as TodoCreatedV1;
      // Without a due date there is nothing to remind of.
      if (!data.dueAt) return;
      await scheduleReminder(trx, {
        todoId: data.todoId,
        tenantId: data.tenantId,
        userId: data.ownerId,
        title: data.title,
        dueAt: new Date(data.dueAt),
      });
      return;
    }
    case TODO_COMPLETED:
    case TODO_DELETED: {
      const data = event.data as TodoCompletedV1 | TodoDeletedV1;
      await cancelReminder(trx, data);
      return;
    }
    default:
      throw new Error(`notifications does not consume ${event.type}`);
  }
}

/**
 * One consumer group per source context, so a backlog of todos never delays an order's
 * message (and each can be replayed alone).
 */
export function notificationConsumers(
  deps: NotificationsDeps,
): ConsumerSpec<unknown, NotificationsDb>[] {
  const handler = (event: CloudEvent, trx: Trx) => apply(deps, event, trx);
  return [
    { name: 'accounts', types: [USER_REGISTERED], handler },
    { name: 'orders', types: [ORDER_CONFIRMED, ORDER_CANCELLED, PAYMENT_REFUNDED], handler },
    { name: 'reminders', types: [TODO_CREATED, TODO_COMPLETED, TODO_DELETED], handler },
  ];
}
