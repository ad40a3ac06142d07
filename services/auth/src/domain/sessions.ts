import {
  claimRefreshToken,
  createFamily,
  findRefreshToken,
  insertRefreshToken,
  revokeFamily,
} from '../data/refresh-tokens.ts';
import type { Executor } from '../data/schema.ts';
import { findActiveUser, type UserRow } from '../data/users.ts';
import { AuthErrors } from '../errors.ts';
import { hashToken, newOpaqueToken } from '../security/secrets.ts';
import { rolesOf } from './credentials.ts';
import type { AuthDeps } from './deps.ts';

export interface Session {
  user: { id: string; email: string; name: string; tenantId: string; roles: string[] };
  accessToken: string;
  refreshToken: string;
  tokenType: 'Bearer';
  expiresIn: number;
}

type Owner = { tenantId: string; userId: string };

async function issueRefreshToken(
  deps: AuthDeps,
  trx: Executor,
  owner: Owner & { familyId: string },
): Promise<string> {
  const token = newOpaqueToken();
  const expiresAt = new Date(deps.now().getTime() + deps.refreshTokenTtlMs);
  await insertRefreshToken(trx, { ...owner, tokenHash: hashToken(token), expiresAt });
  return token;
}

/** A new token family (one per login); its first refresh token is returned. */
export async function startTokenFamily(deps: AuthDeps, trx: Executor, owner: Owner) {
  const familyId = await createFamily(trx, owner);
  return issueRefreshToken(deps, trx, { ...owner, familyId });
}

export async function sessionFor(
  deps: AuthDeps,
  user: UserRow,
  refreshToken: string,
): Promise<Session> {
  const roles = rolesOf(user, deps.platformAdmins);
  const accessToken = await deps.tokens.sign({ userId: user.id, tenantId: user.tenant_id, roles });
  return {
    user: { id: user.id, email: user.email, name: user.name, tenantId: user.tenant_id, roles },
    accessToken,
    refreshToken,
    tokenType: 'Bearer',
    expiresIn: deps.tokens.ttlSeconds,
  };
}

type Rotation = { ok: true; user: UserRow; refreshToken: string } | { ok: false };

/**
 * Refresh with rotation (RFC 9700 §4.14.2): the presented token is spent and a new one of the
 * same family issued. A spent token presented again means two parties hold it, so the whole
 * family is revoked; the revocation is committed even though the request fails.
 */
export async function rotateRefreshToken(deps: AuthDeps, presented: string): Promise<Session> {
  const tokenHash = hashToken(presented);
  const now = deps.now();
  const rotation = await deps.database.transaction(async (trx): Promise<Rotation> => {
    const claimed = await claimRefreshToken(trx, tokenHash, now);
    if (!claimed) {
      const known = await findRefreshToken(trx, tokenHash);
      if (known?.used_at && !withinGrace(deps, known.used_at, now)) {
        await revokeFamily(
          trx,
          { tenantId: known.tenant_id, familyId: known.family_id },
          'reuse',
          now,
        );
      }
      return { ok: false };
    }
    const user = await findActiveUser(trx, claimed.tenantId, claimed.userId);
    if (!user) {
      await revokeFamily(trx, claimed, 'user-inactive', now);
      return { ok: false };
    }
    return { ok: true, user, refreshToken: await issueRefreshToken(deps, trx, claimed) };
  });
  if (!rotation.ok)
    throw AuthErrors.invalidRefreshToken('The refresh token is unknown, expired, used or revoked');
  return sessionFor(deps, rotation.user, rotation.refreshToken);
}

function withinGrace(deps: AuthDeps, usedAt: Date, now: Date): boolean {
  return (
    deps.refreshReuseGraceMs > 0 && now.getTime() - usedAt.getTime() <= deps.refreshReuseGraceMs
  );
}

/** Logout: the family of the presented token ends. Unknown tokens are ignored, like RFC 7009. */
export async function endSession(deps: AuthDeps, presented: string): Promise<void> {
  const now = deps.now();
  await deps.database.transaction(async (trx) => {
    const known = await findRefreshToken(trx, hashToken(presented));
    if (known)
      await revokeFamily(
        trx,
        { tenantId: known.tenant_id, familyId: known.family_id },
        'logout',
        now,
      );
  });
}
