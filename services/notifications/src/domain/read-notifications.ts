import { decodeKeysetCursor, encodeKeysetCursor, type Identity } from '@lattice/platform';
import { recipientNotifications } from '../data/notifications.ts';
import { NotificationsErrors } from '../errors.ts';
import type { NotificationsDeps } from './deps.ts';
import { type NotificationView, toNotificationView } from './notification-view.ts';

export const recipientOf = (caller: Identity) => ({
  tenantId: caller.tenantId,
  userId: caller.userId,
});

/** Newest first, keyset-paged: rows published meanwhile never shift the next page. */
export async function listNotifications(
  deps: NotificationsDeps,
  caller: Identity,
  query: { unread?: boolean; limit: number; cursor?: string },
): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
  const after = query.cursor
    ? decodeKeysetCursor(query.cursor, NotificationsErrors.invalidCursor)
    : undefined;
  const rows = await recipientNotifications(deps.database.db, recipientOf(caller)).page(
    query.limit + 1,
    { unreadOnly: query.unread === true, after },
  );
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: page.map(toNotificationView),
    nextCursor:
      rows.length > query.limit && last?.created_at
        ? encodeKeysetCursor({ createdAt: last.created_at, id: last.id })
        : null,
  };
}

/** Another recipient's notification is as unknown as a missing one: 404, never 403. */
export async function markRead(deps: NotificationsDeps, caller: Identity, id: string) {
  const found = await recipientNotifications(deps.database.db, recipientOf(caller)).markRead(id);
  if (!found) throw NotificationsErrors.notFound(`No notification ${id} for you`);
}

export async function markAllRead(deps: NotificationsDeps, caller: Identity) {
  await recipientNotifications(deps.database.db, recipientOf(caller)).markAllRead();
}
