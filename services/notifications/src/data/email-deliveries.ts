import { type Selectable, sql } from 'kysely';
import type { EmailDeliveriesTable, Executor } from './schema.ts';

export type EmailDeliveryRow = Selectable<EmailDeliveriesTable>;

export interface NewEmail {
  id: string;
  notificationId: string;
  tenantId: string;
  userId: string;
  type: string;
  to: string;
  subject: string;
  text: string;
}

/** Queued in the transaction that publishes the notifications, in one statement; sent after commit. */
export async function queueEmails(db: Executor, emails: readonly NewEmail[]): Promise<void> {
  if (emails.length === 0) return;
  await db
    .insertInto('email_deliveries')
    .values(
      emails.map((email) => ({
        id: email.id,
        notification_id: email.notificationId,
        tenant_id: email.tenantId,
        user_id: email.userId,
        type: email.type,
        to_address: email.to,
        subject: email.subject,
        text: email.text,
        status: 'pending' as const,
      })),
    )
    .onConflict((oc) => oc.column('notification_id').doNothing())
    .execute();
}

/**
 * Claims up to `limit` due emails for `leaseMs` (found and locked by `lock_due_emails`, see
 * migration 002, and updated by primary key): their next attempt moves past the lease and the
 * attempt is counted before sending, so an instance that dies mid-send leaves them to another
 * after the lease, and a crash loop still runs out of attempts.
 */
export async function claimDueEmails(
  db: Executor,
  limit: number,
  leaseMs: number,
): Promise<EmailDeliveryRow[]> {
  const { rows } = await sql<EmailDeliveryRow>`
    UPDATE email_deliveries
    SET attempts = attempts + 1,
        next_attempt_at = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id = ANY(ARRAY(SELECT lock_due_emails(${limit})))
    RETURNING *`.execute(db);
  return rows;
}

/**
 * Takes up to `limit` due emails as sent, counting the attempt, in the caller's transaction:
 * for a transport that delivers in that same transaction (the dev mailbox), where sending and
 * recording commit together or not at all, so no lease is needed.
 */
export async function takeDueEmailsAsSent(
  db: Executor,
  limit: number,
): Promise<EmailDeliveryRow[]> {
  const { rows } = await sql<EmailDeliveryRow>`
    UPDATE email_deliveries
    SET status = 'sent', attempts = attempts + 1, sent_at = now()
    WHERE id = ANY(ARRAY(SELECT lock_due_emails(${limit})))
    RETURNING *`.execute(db);
  return rows;
}

/** last_error stays: an email that needed retries keeps the reason on record. */
export async function markEmailSent(db: Executor, id: string): Promise<void> {
  await db
    .updateTable('email_deliveries')
    .set({ status: 'sent', sent_at: sql<Date>`now()` })
    .where('id', '=', id)
    .execute();
}

/** Another attempt after `retryInMs`, or failed for good when `retryInMs` is undefined. */
export async function markEmailFailed(
  db: Executor,
  id: string,
  error: string,
  retryInMs: number | undefined,
): Promise<void> {
  await db
    .updateTable('email_deliveries')
    .set(
      retryInMs === undefined
        ? { status: 'failed', last_error: error }
        : {
            last_error: error,
            next_attempt_at: sql<Date>`now() + make_interval(secs => ${retryInMs / 1000})`,
          },
    )
    .where('id', '=', id)
    .execute();
}
