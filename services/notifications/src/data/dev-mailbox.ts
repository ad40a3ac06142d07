import { type Selectable, sql } from 'kysely';
import type { DevMailboxTable, Executor } from './schema.ts';

export type DevMailRow = Selectable<DevMailboxTable>;

export interface DevMail {
  id: string;
  tenantId: string;
  userId: string;
  to: string;
  subject: string;
  text: string;
}

/** One statement for all of them. */
export async function storeDevMail(db: Executor, mails: readonly DevMail[]): Promise<void> {
  if (mails.length === 0) return;
  await db
    .insertInto('dev_mailbox')
    .values(
      mails.map((mail) => ({
        id: mail.id,
        tenant_id: mail.tenantId,
        user_id: mail.userId,
        to_address: mail.to,
        subject: mail.subject,
        text: mail.text,
        created_at: sql<Date>`now()`,
      })),
    )
    .execute();
}

/** Newest first; one recipient's, or everyone's when `recipient` is undefined. */
export function listDevMail(
  db: Executor,
  recipient: { tenantId: string; userId: string } | undefined,
  limit: number,
): Promise<DevMailRow[]> {
  let query = db.selectFrom('dev_mailbox').selectAll();
  if (recipient)
    query = query
      .where('tenant_id', '=', recipient.tenantId)
      .where('user_id', '=', recipient.userId);
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(limit).execute();
}
