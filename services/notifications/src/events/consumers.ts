import type {
  OrderCancelledV1,
  OrderConfirmedV1,
  PaymentRefundedV1,
  TodoCompletedV1,
  TodoCreatedV1,
  TodoDeletedV1,
  TodoRestoredV1,
  TodoUpdatedV1,
  UserRegisteredV1,
} from '@lattice/contracts';
import { type CloudEvent, type ConsumerSpec, wakeAtCommit } from '@lattice/platform';
import type { Transaction } from 'kysely';
import { insertPending, type PendingNotification } from '../data/notifications.ts';
import { type KnownRecipient, rememberRecipients } from '../data/recipients.ts';
import { cancelReminder, followTodo, scheduleReminder } from '../data/reminders.ts';
import type { NotificationsDb } from '../data/schema.ts';
import type { NotificationsDeps } from '../domain/deps.ts';
import type { NotificationParams, NotificationType } from '../domain/notification-types.ts';

export const USER_REGISTERED = 'lattice.auth.user.registered.v1';
export const ORDER_CONFIRMED = 'lattice.orders.order.confirmed.v1';
export const ORDER_CANCELLED = 'lattice.orders.order.cancelled.v1';
export const PAYMENT_REFUNDED = 'lattice.payments.payment.refunded.v1';
export const TODO_CREATED = 'lattice.todos.todo.created.v1';
export const TODO_COMPLETED = 'lattice.todos.todo.completed.v1';
export const TODO_DELETED = 'lattice.todos.todo.deleted.v1';
export const TODO_UPDATED = 'lattice.todos.todo.updated.v1';
export const TODO_RESTORED = 'lattice.todos.todo.restored.v1';

type Trx = Transaction<NotificationsDb>;

/**
 * What one event means, worked out before touching the database, so that one event (the
 * kit's `handler`) and a whole inbox batch (`handleBatch`) go through the same `applyAll`: the
 * batch's rows in one statement per table, and one NOTIFY.
 */
interface Effect {
  recipient?: KnownRecipient;
  notification?: PendingNotification;
  /**
   * Reminder changes stay one statement each: todo events are few, and applied in order, so
   * several events of one todo in a batch end as the last one says.
   */
  reminder?: (trx: Trx) => Promise<void>;
}

/**
 * The notification an event means for its recipient, to be rendered and published after
 * commit; none for stale news. The (event id, recipient) key makes a redelivery that slipped
 * past the inbox (another consumer group, a replay under a new group) a no-op too.
 */
function notificationFor<T extends NotificationType>(
  deps: NotificationsDeps,
  event: CloudEvent,
  recipient: { tenantId: string; userId: string },
  type: T,
  params: NotificationParams[T],
): PendingNotification | undefined {
  const age = deps.now().getTime() - Date.parse(event.time);
  if (age > deps.maxEventAgeMs) {
    deps.log.debug({ eventId: event.id, type: event.type }, 'stale event: no notification');
    return undefined;
  }
  return { id: deps.newId(), ...recipient, eventId: event.id, type, params };
}

/** What each consumed event means; the kit has checked it against its contract already. */
function effectOf(deps: NotificationsDeps, event: CloudEvent): Effect {
  switch (event.type) {
    case USER_REGISTERED: {
      const data = event.data as UserRegisteredV1;
      const recipient = { tenantId: data.tenantId, userId: data.userId };
      return {
        recipient: { ...recipient, email: data.email, name: data.name },
        notification: notificationFor(deps, event, recipient, 'welcome', { name: data.name }),
      };
    }
    case ORDER_CONFIRMED: {
      const data = event.data as OrderConfirmedV1;
      return {
        notification: notificationFor(
          deps,
          event,
          { tenantId: data.tenantId, userId: data.customerId },
          'order_confirmed',
          { orderId: data.orderId, totalCents: data.totalCents, currency: data.currency },
        ),
      };
    }
    case ORDER_CANCELLED: {
      const data = event.data as OrderCancelledV1;
      return {
        notification: notificationFor(
          deps,
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
        ),
      };
    }
    case PAYMENT_REFUNDED: {
      const data = event.data as PaymentRefundedV1;
      return {
        notification: notificationFor(
          deps,
          event,
          { tenantId: data.tenantId, userId: data.customerId },
          'payment_refunded',
          {
            orderId: data.orderId,
            amountCents: data.amountCents,
            currency: data.currency,
            reason: data.reason,
          },
        ),
      };
    }
    case TODO_CREATED: {
      const data = event.data as TodoCreatedV1;
      // Without a due date there is nothing to remind of.
      if (!data.dueAt) return {};
      const reminder = {
        todoId: data.todoId,
        tenantId: data.tenantId,
        userId: data.ownerId,
        title: data.title,
        dueAt: new Date(data.dueAt),
        changedAt: new Date(event.time),
      };
      return { reminder: (trx) => scheduleReminder(trx, reminder) };
    }
    case TODO_UPDATED:
    case TODO_RESTORED: {
      const data = event.data as TodoUpdatedV1 | TodoRestoredV1;
      // A new description changes nothing a reminder says or when.
      if ('changed' in data && data.changed.every((field) => field === 'description')) return {};
      // A restored todo is followed as an updated one: its reminder comes back if it is open
      // with a due date (and goes out at once if that date has passed).
      const todo = {
        todoId: data.todoId,
        tenantId: data.tenantId,
        userId: data.ownerId,
        title: data.title,
        dueAt: data.dueAt === null ? null : new Date(data.dueAt),
        done: data.done,
        changedAt: new Date(event.time),
      };
      return { reminder: (trx) => followTodo(trx, todo) };
    }
    case TODO_COMPLETED:
    case TODO_DELETED: {
      const data = event.data as TodoCompletedV1 | TodoDeletedV1;
      return { reminder: (trx) => cancelReminder(trx, data, new Date(event.time)) };
    }
    default:
      throw new Error(`notifications does not consume ${event.type}`);
  }
}

/**
 * Applies events in order, in the inbox's transaction: recipients and notifications of all of
 * them in one statement each, and one NOTIFY of the publisher when any row is new.
 */
async function applyAll(deps: NotificationsDeps, events: CloudEvent[], trx: Trx): Promise<void> {
  const effects = events.map((event) => effectOf(deps, event));
  await rememberRecipients(
    trx,
    effects.flatMap((effect) => (effect.recipient ? [effect.recipient] : [])),
  );
  for (const effect of effects) await effect.reminder?.(trx);
  const inserted = await insertPending(
    trx,
    effects.flatMap((effect) => (effect.notification ? [effect.notification] : [])),
  );
  // Any processing instance may publish them: this one's publisher when it runs one.
  if (inserted > 0) await wakeAtCommit(trx, deps.channels.pending);
}

/**
 * One consumer group per source context, so a backlog of todos never delays an order's
 * message (and each can be replayed alone). `handleBatch` has the effect of `handler` on each
 * event in turn (the kit re-applies a failed batch one event at a time with `handler`).
 */
export function notificationConsumers(
  deps: NotificationsDeps,
): ConsumerSpec<unknown, NotificationsDb>[] {
  const handler = (event: CloudEvent, trx: Trx) => applyAll(deps, [event], trx);
  const handleBatch = (events: CloudEvent[], trx: Trx) => applyAll(deps, events, trx);
  return [
    { name: 'accounts', types: [USER_REGISTERED], handler, handleBatch },
    {
      name: 'orders',
      types: [ORDER_CONFIRMED, ORDER_CANCELLED, PAYMENT_REFUNDED],
      handler,
      handleBatch,
    },
    {
      name: 'reminders',
      types: [TODO_CREATED, TODO_UPDATED, TODO_RESTORED, TODO_COMPLETED, TODO_DELETED],
      handler,
      handleBatch,
    },
  ];
}
