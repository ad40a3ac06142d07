import { type Selectable, sql } from 'kysely';
import type { Executor, NotificationsTable } from './schema.ts';

export type NotificationRow = Selectable<NotificationsTable>;

/** Above this many recipients, the live scan reads the whole window (see publishedSince). */
const RECIPIENT_FILTER_MAX = 100;

export interface PendingNotification {
  id: string;
  tenantId: string;
  userId: string;
  eventId: string;
  type: string;
  params: object;
}

export interface Recipient {
  tenantId: string;
  userId: string;
}

/** Where a page or a stream stands: the (created_at, id) of the last notification seen. */
export interface Position {
  createdAt: Date;
  id: string;
}

/**
 * Stores what an event means for one recipient, to be published after commit. False when the
 * (event, recipient) pair is already there: the unique key makes a redelivery a no-op.
 */
export async function insertPending(db: Executor, pending: PendingNotification): Promise<boolean> {
  const inserted = await db
    .insertInto('notifications')
    .values({
      id: pending.id,
      tenant_id: pending.tenantId,
      user_id: pending.userId,
      event_id: pending.eventId,
      type: pending.type,
      params: JSON.stringify(pending.params),
    })
    .onConflict((oc) => oc.constraint('notifications_event_user_key').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** The publisher's backlog, oldest first. */
export function unpublished(db: Executor, limit: number): Promise<NotificationRow[]> {
  return db
    .selectFrom('notifications')
    .selectAll()
    .where('created_at', 'is', null)
    .orderBy('received_at')
    .limit(limit)
    .execute();
}

/**
 * Makes a rendered notification visible (created_at is the database's clock, which the live
 * stream scans by). Undefined when another instance published it first.
 */
export function publish(
  db: Executor,
  id: string,
  rendered: { title: string; body: string; inApp: boolean },
): Promise<NotificationRow | undefined> {
  return db
    .updateTable('notifications')
    .set({
      title: rendered.title,
      body: rendered.body,
      in_app: rendered.inApp,
      // Milliseconds, as JavaScript dates and so cursors and Last-Event-ID positions carry them:
      // with microseconds a page boundary could fall between two rows of the same millisecond.
      created_at: sql<Date>`date_trunc('milliseconds', now())`,
    })
    .where('id', '=', id)
    .where('created_at', 'is', null)
    .returningAll()
    .executeTakeFirst();
}

/**
 * The notifications one recipient may see: published with in-app on. Built per request with
 * the verified caller; the only way the API reaches the table, so no query forgets the owner.
 */
export function recipientNotifications(db: Executor, recipient: Recipient) {
  const visible = () =>
    db
      .selectFrom('notifications')
      .selectAll()
      .where('tenant_id', '=', recipient.tenantId)
      .where('user_id', '=', recipient.userId)
      .where('created_at', 'is not', null)
      .where('in_app', '=', true);

  return {
    /** Newest first, strictly after `after` in that order. */
    page(count: number, options: { unreadOnly: boolean; after?: Position }) {
      let query = visible();
      if (options.unreadOnly) query = query.where('read_at', 'is', null);
      const after = options.after;
      if (after)
        query = query.where((eb) =>
          eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)),
        );
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(count).execute();
    },

    find(id: string): Promise<NotificationRow | undefined> {
      return visible().where('id', '=', id).executeTakeFirst();
    },

    /** Oldest first, strictly after `after`: what a stream resuming there missed. */
    since(after: Position, count: number): Promise<NotificationRow[]> {
      return visible()
        .where((eb) =>
          eb(eb.refTuple('created_at', 'id'), '>', eb.tuple(after.createdAt, after.id)),
        )
        .orderBy('created_at')
        .orderBy('id')
        .limit(count)
        .execute();
    },

    /** False when there is no such notification for this recipient. Reading twice keeps the first time. */
    async markRead(id: string): Promise<boolean> {
      const found = await this.find(id);
      if (!found) return false;
      if (!found.read_at)
        await db
          .updateTable('notifications')
          .set({ read_at: sql<Date>`now()` })
          .where('id', '=', id)
          .where('read_at', 'is', null)
          .execute();
      return true;
    },

    async markAllRead(): Promise<void> {
      await db
        .updateTable('notifications')
        .set({ read_at: sql<Date>`now()` })
        .where('tenant_id', '=', recipient.tenantId)
        .where('user_id', '=', recipient.userId)
        .where('read_at', 'is', null)
        .where('created_at', 'is not', null)
        .execute();
    },
  };
}

/**
 * Visible notifications of any of `recipients` published at or after `since`, oldest first:
 * one query per scan of the live fan-out, whatever the number of open streams.
 */
export function publishedSince(
  db: Executor,
  recipients: Recipient[],
  since: Date,
  limit: number,
): Promise<NotificationRow[]> {
  if (recipients.length === 0) return Promise.resolve([]);
  let query = db
    .selectFrom('notifications')
    .selectAll()
    .where('created_at', '>=', since)
    .where('in_app', '=', true);
  // With many streams open, the window is read whole and the caller keeps its recipients' rows:
  // one indexed range scan beats a condition per recipient.
  if (recipients.length <= RECIPIENT_FILTER_MAX)
    query = query.where((eb) =>
      eb.or(
        recipients.map((r) =>
          eb.and([eb('tenant_id', '=', r.tenantId), eb('user_id', '=', r.userId)]),
        ),
      ),
    );
  return query.orderBy('created_at').orderBy('id').limit(limit).execute();
}

/** The database's clock, which created_at is written with: streams compare against it, not ours. */
export async function databaseNow(db: Executor): Promise<Date> {
  const { rows } = await sql<{ now: Date | string }>`SELECT clock_timestamp() AS now`.execute(db);
  return new Date(rows[0]!.now);
}
