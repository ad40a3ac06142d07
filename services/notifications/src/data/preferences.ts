import { sql } from 'kysely';
import {
  type ChannelPreference,
  DEFAULT_PREFERENCE,
  NOTIFICATION_TYPES,
  type NotificationType,
} from '../domain/notification-types.ts';
import type { Recipient } from './notifications.ts';
import type { Executor } from './schema.ts';

export type Preferences = Record<NotificationType, ChannelPreference>;

/** Every type, the recipient's choice where they made one and everything on elsewhere. */
export async function readPreferences(db: Executor, recipient: Recipient): Promise<Preferences> {
  const rows = await db
    .selectFrom('preferences')
    .select(['type', 'in_app', 'email'])
    .where('tenant_id', '=', recipient.tenantId)
    .where('user_id', '=', recipient.userId)
    .execute();
  const preferences = Object.fromEntries(
    NOTIFICATION_TYPES.map((type) => [type, { ...DEFAULT_PREFERENCE }]),
  ) as Preferences;
  for (const row of rows)
    if (row.type in preferences)
      preferences[row.type as NotificationType] = { inApp: row.in_app, email: row.email };
  return preferences;
}

export async function writePreference(
  db: Executor,
  recipient: Recipient,
  type: NotificationType,
  preference: ChannelPreference,
): Promise<void> {
  await db
    .insertInto('preferences')
    .values({
      tenant_id: recipient.tenantId,
      user_id: recipient.userId,
      type,
      in_app: preference.inApp,
      email: preference.email,
    })
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'user_id', 'type']).doUpdateSet({
        in_app: preference.inApp,
        email: preference.email,
        updated_at: sql<Date>`now()`,
      }),
    )
    .execute();
}
