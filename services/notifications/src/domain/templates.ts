import type { NotificationParams, NotificationType } from './notification-types.ts';

/** How the recipient reads: formats for dates and money, and the name to greet. */
export interface Reader {
  locale: string;
  timezone: string;
  name: string;
}

export interface RenderedNotification {
  title: string;
  body: string;
  subject: string;
  text: string;
}

// Why an order was cancelled or a payment refunded, phrased for the customer.
const REASONS: Record<string, string> = {
  payment_declined: 'your payment was declined',
  insufficient_funds: 'your payment method had insufficient funds',
  payment_unavailable: 'the payment provider could not be reached',
  payment_timeout: 'the payment did not complete in time',
  cancelled_by_customer: 'you cancelled it',
};

/** A reason nobody phrased yet still reads as words, not as a code. */
export function humanReason(reason: string): string {
  return REASONS[reason] ?? reason.replaceAll('_', ' ').trim().toLowerCase();
}

const MAX_FORMATS = 500;
const formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat>();

/**
 * Building an Intl formatter costs tens of microseconds, using one well under one: the few
 * locale, currency and zone combinations in use are kept (all forgotten past MAX_FORMATS).
 */
function format<F extends Intl.NumberFormat | Intl.DateTimeFormat>(key: string, make: () => F): F {
  let found = formats.get(key) as F | undefined;
  if (!found) {
    found = make();
    if (formats.size >= MAX_FORMATS) formats.clear();
    formats.set(key, found);
  }
  return found;
}

export function formatMoney(cents: number, currency: string, reader: Reader): string {
  try {
    return format(
      `money\u0000${reader.locale}\u0000${currency}`,
      () => new Intl.NumberFormat(reader.locale, { style: 'currency', currency }),
    ).format(cents / 100);
  } catch {
    // An unknown currency code is not worth losing the notification over.
    return `${(cents / 100).toFixed(2)} ${currency}`;
  }
}

export function formatDateTime(iso: string, reader: Reader): string {
  return format(
    `date\u0000${reader.locale}\u0000${reader.timezone}`,
    () =>
      new Intl.DateTimeFormat(reader.locale, {
        dateStyle: 'medium',
        timeStyle: 'short',
        timeZone: reader.timezone,
      }),
  ).format(new Date(iso));
}

/** Orders are long uuids; customers recognise them by their first characters. */
function shortId(id: string): string {
  return id.length > 8 ? id.slice(0, 8) : id;
}

function greeting(reader: Reader): string {
  return reader.name ? `Hello ${reader.name},` : 'Hello,';
}

type Renderer<T extends NotificationType> = (
  params: NotificationParams[T],
  reader: Reader,
) => { title: string; body: string };

const RENDERERS: { [T in NotificationType]: Renderer<T> } = {
  welcome: (_params, reader) => ({
    title: 'Welcome to Lattice',
    body: reader.name
      ? `Welcome aboard, ${reader.name}! Your account is ready.`
      : 'Welcome aboard! Your account is ready.',
  }),
  order_confirmed: (params, reader) => ({
    title: `Order ${shortId(params.orderId)} confirmed`,
    body: `Your order ${shortId(params.orderId)} of ${formatMoney(params.totalCents, params.currency, reader)} is paid and confirmed.`,
  }),
  order_cancelled: (params, reader) => ({
    title: `Order ${shortId(params.orderId)} cancelled`,
    body:
      `Your order ${shortId(params.orderId)} of ${formatMoney(params.totalCents, params.currency, reader)} was cancelled because ${humanReason(params.reason)}.` +
      (params.paymentId ? ' The payment will be refunded.' : ''),
  }),
  payment_refunded: (params, reader) => ({
    title: `Refund for order ${shortId(params.orderId)}`,
    body: `${formatMoney(params.amountCents, params.currency, reader)} for order ${shortId(params.orderId)} was refunded because ${humanReason(params.reason)}.`,
  }),
  todo_reminder: (params, reader) => ({
    title: `Reminder: ${params.title}`,
    body: `"${params.title}" is due ${formatDateTime(params.dueAt, reader)}.`,
  }),
};

/** Title and body for the app, subject and text for the email, in the reader's formats. */
export function renderNotification<T extends NotificationType>(
  type: T,
  params: NotificationParams[T],
  reader: Reader,
): RenderedNotification {
  const { title, body } = RENDERERS[type](params, reader);
  return {
    title,
    body,
    subject: title,
    text: `${greeting(reader)}\n\n${body}\n\n— Lattice\n`,
  };
}
