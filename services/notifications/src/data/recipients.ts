import type { Executor } from './schema.ts';

export interface KnownRecipient {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
}

/** From a registration: the first one wins, as a redelivery must change nothing. */
export async function rememberRecipient(db: Executor, recipient: KnownRecipient): Promise<void> {
  await db
    .insertInto('recipients')
    .values({
      user_id: recipient.userId,
      tenant_id: recipient.tenantId,
      email: recipient.email,
      name: recipient.name,
    })
    .onConflict((oc) => oc.column('user_id').doNothing())
    .execute();
}

export async function findRecipient(
  db: Executor,
  tenantId: string,
  userId: string,
): Promise<KnownRecipient | undefined> {
  const row = await db
    .selectFrom('recipients')
    .selectAll()
    .where('user_id', '=', userId)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return row && { userId: row.user_id, tenantId: row.tenant_id, email: row.email, name: row.name };
}
