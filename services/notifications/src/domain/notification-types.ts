/** Every kind of notification; each has a template and a per-recipient preference. */
export const NOTIFICATION_TYPES = [
  'welcome',
  'order_confirmed',
  'order_cancelled',
  'payment_refunded',
  'todo_reminder',
] as const;

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

export function isNotificationType(value: string): value is NotificationType {
  return (NOTIFICATION_TYPES as readonly string[]).includes(value);
}

/** The channels a recipient can turn on or off per type. */
export interface ChannelPreference {
  inApp: boolean;
  email: boolean;
}

/** Everything on unless the recipient said otherwise. */
export const DEFAULT_PREFERENCE: ChannelPreference = { inApp: true, email: true };

/** The facts of the event a notification is about, as stored with it and rendered later. */
export interface NotificationParams {
  welcome: { name: string };
  order_confirmed: { orderId: string; totalCents: number; currency: string };
  order_cancelled: {
    orderId: string;
    totalCents: number;
    currency: string;
    reason: string;
    /** Set when the order had been paid: the customer gets the money back. */
    paymentId?: string;
  };
  payment_refunded: { orderId: string; amountCents: number; currency: string; reason: string };
  todo_reminder: { todoId: string; title: string; dueAt: string };
}
