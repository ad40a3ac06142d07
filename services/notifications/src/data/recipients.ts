import type { Executor } from './schema.ts';

export interface KnownRecipient {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
}

/**
 * From registrations, in one statement: the first one wins, as a redelivery must change
 * nothing (within one call too: a later row for the same user is skipped).
 */
export async function rememberRecipients(
  db: Executor,
  recipients: readonly KnownRecipient[],
): Promise<void> {
  if (recipients.length === 0) return;
  await db
    .insertInto('recipients')
    .values(
      recipients.map((recipient) => ({
        user_id: recipient.userId,
        tenant_id: recipient.tenantId,
        email: recipient.email,
        name: recipient.name,
      })),
    )
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
}
