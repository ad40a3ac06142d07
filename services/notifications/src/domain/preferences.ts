import type { Identity } from '@lattice/platform';
import { type Preferences, readPreferences, writePreference } from '../data/preferences.ts';
import type { NotificationsDeps } from './deps.ts';
import { type ChannelPreference, isNotificationType } from './notification-types.ts';
import { recipientOf } from './read-notifications.ts';

export function getPreferences(deps: NotificationsDeps, caller: Identity): Promise<Preferences> {
  return readPreferences(deps.database.db, recipientOf(caller));
}

/** Changes the channels named, keeps the others; all in one transaction. */
export async function updatePreferences(
  deps: NotificationsDeps,
  caller: Identity,
  changes: Record<string, Partial<ChannelPreference> | undefined>,
): Promise<Preferences> {
  const recipient = recipientOf(caller);
  return deps.database.transaction(async (trx) => {
    const current = await readPreferences(trx, recipient);
    for (const [type, change] of Object.entries(changes)) {
      if (!change || !isNotificationType(type)) continue;
      const next = { ...current[type], ...change };
      await writePreference(trx, recipient, type, next);
      current[type] = next;
    }
    return current;
  });
}
