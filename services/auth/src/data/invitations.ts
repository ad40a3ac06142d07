import { randomUUID } from 'node:crypto';
import type { Executor, Role } from './schema.ts';

export interface NewInvitation {
  tenantId: string;
  email: string;
  role: Role;
  tokenHash: string;
  invitedBy: string;
  expiresAt: Date;
}

export async function insertInvitation(db: Executor, invitation: NewInvitation): Promise<void> {
  await db
    .insertInto('invitations')
    .values({
      id: randomUUID(),
      tenant_id: invitation.tenantId,
      email: invitation.email,
      role: invitation.role,
      token_hash: invitation.tokenHash,
      invited_by: invitation.invitedBy,
      expires_at: invitation.expiresAt,
    })
    .execute();
}

/** Single use: the conditional UPDATE lets one registration accept it, however many race. */
export async function acceptInvitation(
  db: Executor,
  claim: { tokenHash: string; email: string; now: Date },
): Promise<{ id: string; tenantId: string; role: Role } | undefined> {
  const row = await db
    .updateTable('invitations')
    .set({ accepted_at: claim.now })
    .where('token_hash', '=', claim.tokenHash)
    .where('email', '=', claim.email)
    .where('accepted_at', 'is', null)
    .where('expires_at', '>', claim.now)
    .returning(['id', 'tenant_id', 'role'])
    .executeTakeFirst();
  return row && { id: row.id, tenantId: row.tenant_id, role: row.role };
}

export async function recordAcceptedBy(
  db: Executor,
  invitation: { id: string; tenantId: string },
  userId: string,
): Promise<void> {
  await db
    .updateTable('invitations')
    .set({ accepted_by: userId })
    .where('tenant_id', '=', invitation.tenantId)
    .where('id', '=', invitation.id)
    .execute();
}
