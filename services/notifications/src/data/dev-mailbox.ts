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

export async function storeDevMail(db: Executor, mail: DevMail): Promise<void> {
  await db
    .insertInto('dev_mailbox')
    .values({
      id: mail.id,
      tenant_id: mail.tenantId,
      user_id: mail.userId,
      to_address: mail.to,
      subject: mail.subject,
      text: mail.text,
      created_at: sql<Date>`now()`,
    })
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
