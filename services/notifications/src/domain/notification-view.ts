import type { NotificationRow } from '../data/notifications.ts';

/** A notification as the API and the live stream show it. */
export interface NotificationView {
  id: string;
  type: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export function toNotificationView(row: NotificationRow): NotificationView {
  return {
    id: row.id,
    type: row.type,
    title: row.title ?? '',
    body: row.body ?? '',
    createdAt: (row.created_at ?? row.received_at).toISOString(),
    readAt: row.read_at ? row.read_at.toISOString() : null,
  };
}
