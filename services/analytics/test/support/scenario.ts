import { randomUUID } from 'node:crypto';
import type { CloudEvent } from '@lattice/platform';
import {
  type Order,
  orderCancelled,
  orderConfirmed,
  orderPlaced,
  paymentFailed,
  paymentRefunded,
  paymentSucceeded,
  refundRequested,
  registered,
  todoCompleted,
  todoCreated,
} from './events.ts';

export interface ScenarioSize {
  registrations: number;
  orders: number;
  /** Orders whose payment is declined (and which are then cancelled). */
  declined: number;
  /** Confirmed orders cancelled by the customer and refunded. */
  refunded: number;
  todos: number;
  completed: number;
}

const HOUR = 3_600_000;
const MINUTE = 60_000;

/**
 * A tenant's day as the producers would record it, starting at `base` (an hour boundary):
 * users register one per hour, then each places orders, some declined, some refunded, and
 * works on todos. `expected` is what the script did, tallied as it goes — the numbers the
 * analytics must show — independent of how the service computes them.
 */
export function scenario(tenantId: string, base: Date, size: ScenarioSize) {
  const events: CloudEvent[] = [];
  const at = (hours: number, minutes = 0) =>
    new Date(base.getTime() + hours * HOUR + minutes * MINUTE);
  const hourly = new Map<string, Record<string, number>>();
  const activeByHour = new Map<string, Set<string>>();
  const active = new Set<string>();
  const tally = (metric: string, time: Date, amount = 1) => {
    const hour = new Date(Math.floor(time.getTime() / HOUR) * HOUR).toISOString();
    const row = hourly.get(hour) ?? {};
    row[metric] = (row[metric] ?? 0) + amount;
    hourly.set(hour, row);
  };
  const acted = (userId: string, time: Date) => {
    const hour = new Date(Math.floor(time.getTime() / HOUR) * HOUR).toISOString();
    const users = activeByHour.get(hour) ?? new Set<string>();
    activeByHour.set(hour, users.add(userId));
    active.add(userId);
  };

  const users = Array.from({ length: size.registrations }, () => randomUUID());
  users.forEach((userId, i) => {
    const time = at(i % 12, 5);
    events.push(registered(tenantId, userId, time));
    tally('signups', time);
    acted(userId, time);
  });

  let revenueCents = 0;
  let confirmed = 0;
  let refundedCents = 0;
  for (let i = 0; i < size.orders; i++) {
    const customerId = users[i % users.length] as string;
    const order: Order = {
      orderId: randomUUID(),
      tenantId,
      customerId,
      totalCents: 1_000 + 137 * i,
      currency: 'EUR',
    };
    const paymentId = randomUUID();
    const placedAt = at(2 + (i % 9), 10 + (i % 40));
    events.push(orderPlaced(order, placedAt));
    tally('orders_placed', placedAt);
    acted(customerId, placedAt);
    const settledAt = new Date(placedAt.getTime() + 3 * MINUTE);
    if (i < size.declined) {
      events.push(paymentFailed(order, paymentId, settledAt));
      events.push(orderCancelled(order, 'payment_declined', settledAt));
      tally('payments_failed', settledAt);
      tally('orders_cancelled', settledAt);
      continue;
    }
    events.push(paymentSucceeded(order, paymentId, settledAt));
    events.push(orderConfirmed(order, paymentId, settledAt));
    tally('payments_succeeded', settledAt);
    tally('orders_confirmed', settledAt);
    tally('revenue', settledAt, order.totalCents);
    revenueCents += order.totalCents;
    confirmed++;
    if (i < size.declined + size.refunded) {
      // Cancelled by the customer an hour later: compensation refunds the payment.
      const cancelledAt = new Date(settledAt.getTime() + HOUR);
      events.push(orderCancelled(order, 'cancelled_by_customer', cancelledAt));
      events.push(refundRequested(order, paymentId, cancelledAt));
      events.push(paymentRefunded(order, paymentId, new Date(cancelledAt.getTime() + MINUTE)));
      tally('orders_cancelled', cancelledAt);
      tally('refunds', new Date(cancelledAt.getTime() + MINUTE));
      acted(customerId, cancelledAt);
      refundedCents += order.totalCents;
    }
  }

  for (let i = 0; i < size.todos; i++) {
    const ownerId = users[(i * 7) % users.length] as string;
    const todoId = randomUUID();
    const createdAt = at(1 + (i % 10), 30);
    events.push(todoCreated(tenantId, ownerId, todoId, createdAt));
    tally('todos_created', createdAt);
    acted(ownerId, createdAt);
    if (i < size.completed) {
      const doneAt = at(3 + (i % 10), 45);
      events.push(todoCompleted(tenantId, ownerId, todoId, doneAt));
      tally('todos_completed', doneAt);
      acted(ownerId, doneAt);
    }
  }

  const cancelled = size.declined + size.refunded;
  return {
    events,
    expected: {
      signups: size.registrations,
      activeUsers: active.size,
      todosCreated: size.todos,
      todosCompleted: size.completed,
      ordersPlaced: size.orders,
      ordersConfirmed: confirmed,
      ordersCancelled: cancelled,
      refundsRequested: size.refunded,
      paymentsSucceeded: size.orders - size.declined,
      paymentsFailed: size.declined,
      paymentFailureRate: size.declined / size.orders,
      refunds: size.refunded,
      revenueCents,
      refundedCents,
      averageOrderValueCents: revenueCents / confirmed,
      /** Per hour (ISO start): the script's own tally of each metric. */
      hourly,
      activeByHour,
    },
  };
}

/** Every event the scenario produced, in a shuffled order (seeded, so failures reproduce). */
export function shuffled<T>(items: T[], seed = 7): T[] {
  const copy = [...items];
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}
