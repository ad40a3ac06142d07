import { acceptInvitation, recordAcceptedBy } from '../data/invitations.ts';
import { isUniqueViolation } from '../data/schema.ts';
import { createTenant } from '../data/tenants.ts';
import { emailExists, insertUser, type UserRow } from '../data/users.ts';
import { AuthErrors } from '../errors.ts';
import { userRegistered } from '../events/user-registered.ts';
import { hashToken } from '../security/secrets.ts';
import { acceptablePassword, normalizeEmail, rolesOf } from './credentials.ts';
import type { AuthDeps } from './deps.ts';
import { type Session, sessionFor, startTokenFamily } from './sessions.ts';

export interface RegisterInput {
  email: string;
  password: string;
  name: string;
  tenantName?: string;
  inviteToken?: string;
  traceparent?: string;
}

function defaultTenantName(email: string): string {
  return `${email.split('@')[0]}'s workspace`;
}

/**
 * Without an invitation the user founds a tenant and is its admin; with one, they join the
 * inviting tenant in the invited role. The user, the tenant, the accepted invitation, the
 * first refresh token and the `lattice.auth.user.registered.v1` event (in the outbox) commit
 * together or not at all.
 */
export async function register(deps: AuthDeps, input: RegisterInput): Promise<Session> {
  const email = normalizeEmail(input.email);
  const password = acceptablePassword(input.password);
  if (input.inviteToken && input.tenantName !== undefined)
    throw AuthErrors.invalidInvitation('tenantName cannot be combined with inviteToken');
  // Checked before the expensive hash; the unique index below still decides a race.
  if (await emailExists(deps.database.db, email)) throw emailTaken();
  const passwordHash = await deps.passwords.hash(password);

  try {
    const { user, refreshToken } = await deps.database.transaction(async (trx) => {
      const membership = input.inviteToken
        ? await joinByInvitation(deps, trx, input.inviteToken, email)
        : {
            tenantId: (await createTenant(trx, input.tenantName ?? defaultTenantName(email))).id,
            role: 'admin' as const,
            invitationId: undefined,
          };
      const user: UserRow = await insertUser(trx, {
        tenantId: membership.tenantId,
        email,
        name: input.name,
        role: membership.role,
        passwordHash,
      });
      if (membership.invitationId)
        await recordAcceptedBy(
          trx,
          { id: membership.invitationId, tenantId: user.tenant_id },
          user.id,
        );
      await deps.events.record(
        trx,
        userRegistered(deps.events, user, rolesOf(user, deps.platformAdmins), input.traceparent),
      );
      const token = await startTokenFamily(deps, trx, {
        tenantId: user.tenant_id,
        userId: user.id,
      });
      return { user, refreshToken: token };
    });
    return sessionFor(deps, user, refreshToken);
  } catch (error) {
    if (isUniqueViolation(error)) throw emailTaken();
    throw error;
  }
}

async function joinByInvitation(
  deps: AuthDeps,
  trx: Parameters<typeof acceptInvitation>[0],
  inviteToken: string,
  email: string,
) {
  const invitation = await acceptInvitation(trx, {
    tokenHash: hashToken(inviteToken),
    email,
    now: deps.now(),
  });
  if (!invitation) {
    throw AuthErrors.invalidInvitation(
      'The invitation is unknown, expired, already used, or for another email',
    );
  }
  return { tenantId: invitation.tenantId, role: invitation.role, invitationId: invitation.id };
}

function emailTaken() {
  return AuthErrors.emailTaken('An account with this email already exists');
}
