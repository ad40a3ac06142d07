import { queueEmail } from '../data/email-deliveries.ts';
import { type NotificationRow, publish, unpublished } from '../data/notifications.ts';
import { preferenceFor } from '../data/preferences.ts';
import { findRecipient } from '../data/recipients.ts';
import { parseJson } from '../data/schema.ts';
import type { NotificationsDeps, RecipientProfile } from './deps.ts';
import { isNotificationType } from './notification-types.ts';
import { type Reader, renderNotification } from './templates.ts';
import { notifyAtCommit } from './wake.ts';

const BATCH = 50;
const PARALLEL = 8;

/** A locale or zone Intl refuses would throw while rendering: the default is better than nothing. */
function usable(locale: string | undefined, timezone: string | undefined, defaults: Reader) {
  let okLocale = defaults.locale;
  let okZone = defaults.timezone;
  try {
    if (locale) okLocale = Intl.getCanonicalLocales(locale)[0] ?? okLocale;
  } catch {}
  try {
    if (timezone)
      okZone = new Intl.DateTimeFormat('en', { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {}
  return { locale: okLocale, timezone: okZone };
}

/**
 * Renders and publishes what the consumers stored, then queues the email, in one transaction
 * per notification. Runs outside any consumer transaction: the users service is asked here,
 * and on the embedded database a transaction holds the one connection every service shares.
 * Several instances may render the same row; only the first to publish it wins.
 * Answers true when a full batch was found (there may be more).
 */
export async function publishPending(deps: NotificationsDeps): Promise<boolean> {
  const rows = await unpublished(deps.database.db, BATCH);
  // A few at a time: each waits mostly on the users service and its own small transaction.
  for (let start = 0; start < rows.length; start += PARALLEL) {
    await Promise.all(
      rows.slice(start, start + PARALLEL).map(async (row) => {
        try {
          await publishOne(deps, row);
        } catch (error) {
          // Left unpublished: the next round tries again; the others go on meanwhile.
          deps.log.error(
            { err: error, notificationId: row.id },
            'publishing a notification failed',
          );
        }
      }),
    );
  }
  return rows.length === BATCH;
}

async function publishOne(deps: NotificationsDeps, row: NotificationRow): Promise<void> {
  const type = row.type;
  if (!isNotificationType(type)) throw new Error(`no template for notification type ${type}`);
  const recipient = { tenantId: row.tenant_id, userId: row.user_id };
  const known = await findRecipient(deps.database.db, recipient.tenantId, recipient.userId);
  const profile: RecipientProfile | undefined = await deps.profiles(recipient);
  const defaults = { ...deps.defaults, name: '' };
  const reader: Reader = {
    ...usable(profile?.locale, profile?.timezone, defaults),
    name: profile?.name ?? known?.name ?? '',
  };
  const rendered = renderNotification(type, parseJson(row.params) as never, reader);
  const address = profile?.email ?? known?.email;

  const outcome = await deps.database.transaction(async (trx) => {
    const preference = await preferenceFor(trx, recipient, type);
    const published = await publish(trx, row.id, {
      title: rendered.title,
      body: rendered.body,
      inApp: preference.inApp,
    });
    if (!published) return undefined;
    const email = preference.email && address !== undefined && address !== '';
    if (email)
      await queueEmail(trx, {
        id: deps.newId(),
        notificationId: row.id,
        tenantId: row.tenant_id,
        userId: row.user_id,
        type,
        to: address,
        subject: rendered.subject,
        text: rendered.text,
      });
    if (preference.inApp || email) await notifyAtCommit(trx, deps.channels.published);
    return { inApp: preference.inApp };
  });
  if (outcome?.inApp) deps.metrics.sent.inc({ channel: 'in_app', type });
}
