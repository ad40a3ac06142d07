import type { CountColumn, MoneyColumn } from '../data/schema.ts';
import { EventTypes } from '../events/event-types.ts';

/** What one event changes in the read models; the projection writes it with upserts. */
export interface Effect {
  counts: Partial<Record<CountColumn, number>>;
  money?: { currency: string } & Partial<Record<MoneyColumn, number>>;
  /** The user whose activity the event is, counted once per hour in the active-user set. */
  activeUser?: string;
}

/** The fields of an event's data the read models use (the only ones the event log keeps). */
export const USED_FIELDS = [
  'userId',
  'tenantId',
  'ownerId',
  'deletedBy',
  'customerId',
  'orderId',
  'paymentId',
  'todoId',
  'totalCents',
  'amountCents',
  'currency',
  'reason',
] as const;

type Data = Partial<Record<(typeof USED_FIELDS)[number], unknown>>;

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
const cents = (value: unknown): number => (typeof value === 'number' ? value : 0);

/**
 * The effect of one event, by its type. Activity means something a user did themselves:
 * registering, creating, completing or deleting a todo, placing or cancelling their own order,
 * deleting a user (the administrator who did it). Confirmations, payments and refunds are the
 * system's doing and count no one as active. Unknown types change nothing.
 */
export function effectOf(type: string, data: Data): Effect {
  switch (type) {
    case EventTypes.userRegistered:
      return { counts: { signups: 1 }, ...activity(data.userId) };
    case EventTypes.userDeleted:
      return { counts: { users_deleted: 1 }, ...activity(data.deletedBy) };
    case EventTypes.todoCreated:
      return { counts: { todos_created: 1 }, ...activity(data.ownerId) };
    case EventTypes.todoCompleted:
      return { counts: { todos_completed: 1 }, ...activity(data.ownerId) };
    case EventTypes.todoDeleted:
      return { counts: { todos_deleted: 1 }, ...activity(data.deletedBy) };
    case EventTypes.orderPlaced:
      return { counts: { orders_placed: 1 }, ...activity(data.customerId) };
    case EventTypes.orderConfirmed:
      return {
        counts: { orders_confirmed: 1 },
        money: {
          currency: String(data.currency),
          orders_confirmed: 1,
          revenue_cents: cents(data.totalCents),
        },
      };
    case EventTypes.orderCancelled:
      return {
        counts: { orders_cancelled: 1 },
        ...(data.reason === 'cancelled_by_customer' ? activity(data.customerId) : {}),
      };
    case EventTypes.orderRefundRequested:
      return { counts: { refunds_requested: 1 } };
    case EventTypes.paymentSucceeded:
      return { counts: { payments_succeeded: 1 } };
    case EventTypes.paymentFailed:
      return { counts: { payments_failed: 1 } };
    case EventTypes.paymentRefunded:
      return {
        counts: {},
        money: {
          currency: String(data.currency),
          refunds: 1,
          refunded_cents: cents(data.amountCents),
        },
      };
    default:
      return { counts: {} };
  }
}

function activity(userId: unknown): Pick<Effect, 'activeUser'> {
  const id = text(userId);
  return id ? { activeUser: id } : {};
}

/** The event's data reduced to the fields the read models use: no emails, names or titles. */
export function minimalData(data: unknown): Data {
  const source = (data ?? {}) as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const field of USED_FIELDS) if (field in source) kept[field] = source[field];
  return kept as Data;
}

const HOUR_MS = 3_600_000;

/** The start of the UTC hour `time` (an event's CloudEvent time) falls in. */
export function hourOf(time: string): Date {
  const ms = Date.parse(time);
  if (Number.isNaN(ms)) throw new Error(`event time ${JSON.stringify(time)} is not a timestamp`);
  return new Date(Math.floor(ms / HOUR_MS) * HOUR_MS);
}
