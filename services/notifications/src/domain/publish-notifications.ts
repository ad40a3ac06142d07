import { notifyAtCommit } from '@lattice/platform';
import { type NewEmail, queueEmails } from '../data/email-deliveries.ts';
import {
  type Published,
  publishRendered,
  type UnpublishedRow,
  unpublished,
} from '../data/notifications.ts';
import { parseJson } from '../data/schema.ts';
import type { NotificationsDeps, RecipientProfile } from './deps.ts';
import { DEFAULT_PREFERENCE, isNotificationType } from './notification-types.ts';
import { type Reader, renderNotification } from './templates.ts';

const BATCH = 50;
const PARALLEL = 8;

const MAX_READERS = 500;
const readers = new Map<string, { locale: string; timezone: string }>();

/**
 * A locale or zone Intl refuses would throw while rendering: the default is better than nothing.
 * Checking builds Intl objects (tens of microseconds): the answer is kept per pair in use.
 */
function usable(locale: string | undefined, timezone: string | undefined, defaults: Reader) {
  const key = `${locale}\u0000${timezone}\u0000${defaults.locale}\u0000${defaults.timezone}`;
  const known = readers.get(key);
  if (known) return known;
  let okLocale = defaults.locale;
  let okZone = defaults.timezone;
  try {
    if (locale) okLocale = Intl.getCanonicalLocales(locale)[0] ?? okLocale;
  } catch {}
  try {
    if (timezone)
      okZone = new Intl.DateTimeFormat('en', { timeZone: timezone }).resolvedOptions().timeZone;
  } catch {}
  if (readers.size >= MAX_READERS) readers.clear();
  const checked = { locale: okLocale, timezone: okZone };
  readers.set(key, checked);
  return checked;
}

/** A row rendered for its recipient, with the email it would send. */
interface Ready {
  row: UnpublishedRow;
  type: string;
  title: string;
  body: string;
  email?: { to: string; subject: string; text: string };
}

/**
 * Renders and publishes what the consumers stored, then queues the emails: one transaction
 * for the whole batch. Runs outside any consumer transaction: the users service is asked here,
 * and on the embedded database a transaction holds the one connection every service shares.
 * Several instances may render the same row; only the first to publish it wins.
 * Answers true when a full batch was found (there may be more).
 */
export async function publishPending(deps: NotificationsDeps): Promise<boolean> {
  const rows = await unpublished(deps.database.db, BATCH);
  if (rows.length === 0) return false;
  const ready = await renderAll(deps, rows);
  try {
    await publishBatch(deps, ready);
  } catch (error) {
    // One row must not hold back the others: each on its own, so only a failing one is left
    // unpublished (the next round tries it again).
    deps.log.warn({ err: error, count: ready.length }, 'publishing a batch failed; one by one');
    for (const one of ready) {
      try {
        await publishBatch(deps, [one]);
      } catch (oneError) {
        deps.log.error(
          { err: oneError, notificationId: one.row.id },
          'publishing a notification failed',
        );
      }
    }
  }
  return rows.length === BATCH;
}

/**
 * Each row rendered with its recipient's locale, zone and name: the profile is asked once per
 * recipient in the batch, a few recipients at a time (each waits mostly on the users service).
 * A row that cannot be rendered is left unpublished, and logged.
 */
async function renderAll(deps: NotificationsDeps, rows: UnpublishedRow[]): Promise<Ready[]> {
  const keyOf = (row: UnpublishedRow) => `${row.tenant_id}\u0000${row.user_id}`;
  const recipients = [...new Map(rows.map((row) => [keyOf(row), row])).entries()];
  const profiles = new Map<string, RecipientProfile | undefined>();
  for (let start = 0; start < recipients.length; start += PARALLEL)
    await Promise.all(
      recipients.slice(start, start + PARALLEL).map(async ([key, row]) => {
        profiles.set(key, await deps.profiles({ tenantId: row.tenant_id, userId: row.user_id }));
      }),
    );
  const ready: Ready[] = [];
  for (const row of rows) {
    try {
      ready.push(render(deps, row, profiles.get(keyOf(row))));
    } catch (error) {
      deps.log.error({ err: error, notificationId: row.id }, 'rendering a notification failed');
    }
  }
  return ready;
}

function render(
  deps: NotificationsDeps,
  row: UnpublishedRow,
  profile: RecipientProfile | undefined,
): Ready {
  const type = row.type;
  if (!isNotificationType(type)) throw new Error(`no template for notification type ${type}`);
  const defaults = { ...deps.defaults, name: '' };
  const reader: Reader = {
    ...usable(profile?.locale, profile?.timezone, defaults),
    name: profile?.name ?? row.known_name ?? '',
  };
  const rendered = renderNotification(type, parseJson(row.params) as never, reader);
  const address = profile?.email ?? row.known_email;
  return {
    row,
    type,
    title: rendered.title,
    body: rendered.body,
    ...(address ? { email: { to: address, subject: rendered.subject, text: rendered.text } } : {}),
  };
}

/**
 * In one transaction: publishes the rows (with the recipients' preferences), queues the email
 * of each published row whose recipient has the email channel on, and NOTIFYs `published`
 * once when anything shows in the app or is mailed.
 */
async function publishBatch(deps: NotificationsDeps, ready: Ready[]): Promise<void> {
  if (ready.length === 0) return;
  const byId = new Map(ready.map((one) => [one.row.id, one]));
  const published = await deps.database.transaction(async (trx) => {
    const done: Published[] = await publishRendered(
      trx,
      ready.map((one) => ({
        id: one.row.id,
        tenantId: one.row.tenant_id,
        userId: one.row.user_id,
        type: one.type,
        title: one.title,
        body: one.body,
      })),
      DEFAULT_PREFERENCE,
    );
    const emails: NewEmail[] = [];
    for (const outcome of done) {
      const one = byId.get(outcome.id)!;
      if (outcome.email && one.email)
        emails.push({
          id: deps.newId(),
          notificationId: one.row.id,
          tenantId: one.row.tenant_id,
          userId: one.row.user_id,
          type: one.type,
          ...one.email,
        });
    }
    await queueEmails(trx, emails);
    if (emails.length > 0 || done.some((outcome) => outcome.inApp))
      // Every instance must hear it: any of them may hold the recipient's live streams.
      await notifyAtCommit(trx, deps.channels.published);
    return done;
  });
  for (const outcome of published)
    if (outcome.inApp)
      deps.metrics.sent.inc({ channel: 'in_app', type: byId.get(outcome.id)!.type });
}
