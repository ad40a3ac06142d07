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
 * Stores what events mean for their recipients, to be published after commit, in one
 * statement. Answers how many rows are new: a pair (event, recipient) already there is left
 * alone, as the unique key makes a redelivery a no-op.
 */
export async function insertPending(
  db: Executor,
  pending: readonly PendingNotification[],
): Promise<number> {
  if (pending.length === 0) return 0;
  const inserted = await db
    .insertInto('notifications')
    .values(
      pending.map((p) => ({
        id: p.id,
        tenant_id: p.tenantId,
        user_id: p.userId,
        event_id: p.eventId,
        type: p.type,
        params: JSON.stringify(p.params),
      })),
    )
    .onConflict((oc) => oc.constraint('notifications_event_user_key').doNothing())
    .returning('id')
    .execute();
  return inserted.length;
}

/** A row to publish, with what the registration told about its recipient (when it did). */
export type UnpublishedRow = NotificationRow & {
  known_email: string | null;
  known_name: string | null;
};

/**
 * The publisher's backlog, oldest first, read by `unpublished_notifications` (migration 002:
 * an ordered scan of `notifications_unpublished_idx` that stops after `limit` rows), with what
 * `recipients` knows of each recipient, in one statement.
 */
export async function unpublished(db: Executor, limit: number): Promise<UnpublishedRow[]> {
  const { rows } = await sql<UnpublishedRow>`
    SELECT n.*, r.email AS known_email, r.name AS known_name
    FROM unpublished_notifications(${limit}) AS n
      LEFT JOIN recipients r ON r.user_id = n.user_id AND r.tenant_id = n.tenant_id
    ORDER BY n.received_at`.execute(db);
  return rows;
}

export interface Rendered {
  id: string;
  /** The row's recipient and type, as read from it: they pick the preference. */
  tenantId: string;
  userId: string;
  type: string;
  title: string;
  body: string;
}

/** What publishing did to one row: whether it shows in the app and whether to email it. */
export interface Published {
  id: string;
  inApp: boolean;
  email: boolean;
}

/**
 * Makes rendered notifications visible, in one statement, with the recipients' channel
 * preferences for their types (a missing preference row means `defaults`). `created_at` is the
 * database's clock, which the live stream scans by. Rows another instance is publishing right
 * now are skipped (SKIP LOCKED, taken in id order, so two publishers never wait on each other),
 * and rows already published are left alone: the answer has only the rows this call published.
 * The rows are found and locked by primary key, and whether they are still unpublished is read
 * from the locked version (`mine.created_at`), so the planner has no reason to read the
 * backlog's partial index here: after an outage that index holds the whole backlog.
 */
export async function publishRendered(
  db: Executor,
  rendered: readonly Rendered[],
  defaults: { inApp: boolean; email: boolean },
): Promise<Published[]> {
  if (rendered.length === 0) return [];
  const column = <K extends keyof Rendered>(key: K) => rendered.map((r) => r[key]);
  const { rows } = await sql<{ id: string; in_app: boolean; email: boolean }>`
    WITH mine AS MATERIALIZED (
      SELECT id, created_at FROM notifications
      WHERE id = ANY(${column('id')}::uuid[])
      ORDER BY id
      FOR UPDATE SKIP LOCKED
    )
    UPDATE notifications n
    SET title = v.title,
        body = v.body,
        in_app = coalesce(p.in_app, ${defaults.inApp}),
        -- Milliseconds, as JavaScript dates and so cursors and Last-Event-ID positions carry
        -- them: with microseconds a page boundary could fall between two rows of one millisecond.
        created_at = date_trunc('milliseconds', now())
    FROM mine
      JOIN unnest(${column('id')}::uuid[], ${column('tenantId')}::text[],
                  ${column('userId')}::text[], ${column('type')}::text[],
                  ${column('title')}::text[], ${column('body')}::text[])
        AS v (id, tenant_id, user_id, type, title, body) ON v.id = mine.id
      LEFT JOIN preferences p
        ON p.tenant_id = v.tenant_id AND p.user_id = v.user_id AND p.type = v.type
    WHERE n.id = mine.id AND mine.created_at IS NULL
    RETURNING n.id, n.in_app, coalesce(p.email, ${defaults.email}) AS email`.execute(db);
  return rows.map((row) => ({ id: row.id, inApp: row.in_app, email: row.email }));
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
