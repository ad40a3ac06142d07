import { insertInvitation } from '../data/invitations.ts';
import type { Role } from '../data/schema.ts';
import { emailExists } from '../data/users.ts';
import { AuthErrors } from '../errors.ts';
import type { AccessClaims } from '../security/access-tokens.ts';
import { hashToken, newOpaqueToken } from '../security/secrets.ts';
import { normalizeEmail } from './credentials.ts';
import type { AuthDeps } from './deps.ts';

export interface Invitation {
  inviteToken: string;
  expiresAt: string;
}

/** A tenant admin invites someone into their own tenant; the token is shown once, stored hashed. */
export async function inviteToTenant(
  deps: AuthDeps,
  caller: AccessClaims,
  input: { email: string; role: Role },
): Promise<Invitation> {
  if (!caller.roles.includes('admin'))
    throw AuthErrors.forbidden('Only an admin of the tenant can invite');
  const email = normalizeEmail(input.email);
  if (await emailExists(deps.database.db, email))
    throw AuthErrors.emailTaken('An account with this email already exists');
  const inviteToken = newOpaqueToken();
  const expiresAt = new Date(deps.now().getTime() + deps.invitationTtlMs);
  await insertInvitation(deps.database.db, {
    tenantId: caller.tid,
    email,
    role: input.role,
    tokenHash: hashToken(inviteToken),
    invitedBy: caller.sub,
    expiresAt,
  });
  return { inviteToken, expiresAt: expiresAt.toISOString() };
}
