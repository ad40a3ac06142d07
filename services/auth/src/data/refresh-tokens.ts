import { randomUUID } from 'node:crypto';
import type { Executor } from './schema.ts';

export interface ClaimedToken {
  tenantId: string;
  userId: string;
  familyId: string;
}

export async function createFamily(
  db: Executor,
  owner: { tenantId: string; userId: string },
): Promise<string> {
  const id = randomUUID();
  await db
    .insertInto('refresh_token_families')
    .values({ id, tenant_id: owner.tenantId, user_id: owner.userId })
    .execute();
  return id;
}

export async function insertRefreshToken(
  db: Executor,
  token: ClaimedToken & { tokenHash: string; expiresAt: Date },
): Promise<void> {
  await db
    .insertInto('refresh_tokens')
    .values({
      id: randomUUID(),
      tenant_id: token.tenantId,
      user_id: token.userId,
      family_id: token.familyId,
      token_hash: token.tokenHash,
      expires_at: token.expiresAt,
    })
    .execute();
}

/**
 * Marks the token used if, and only if, it is unused, unexpired and its family is live. One
 * conditional UPDATE: of two concurrent claims the database lets exactly one match (the other
 * waits for the row lock, then sees used_at set).
 */
export async function claimRefreshToken(
  db: Executor,
  tokenHash: string,
  now: Date,
): Promise<ClaimedToken | undefined> {
  const row = await db
    .updateTable('refresh_tokens')
    .set({ used_at: now })
    .where('token_hash', '=', tokenHash)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .where(({ exists, selectFrom }) =>
      exists(
        selectFrom('refresh_token_families as f')
          .select('f.id')
          .whereRef('f.id', '=', 'refresh_tokens.family_id')
          .where('f.revoked_at', 'is', null),
      ),
    )
    .returning(['tenant_id', 'user_id', 'family_id'])
    .executeTakeFirst();
  return row && { tenantId: row.tenant_id, userId: row.user_id, familyId: row.family_id };
}

export async function findRefreshToken(db: Executor, tokenHash: string) {
  return db
    .selectFrom('refresh_tokens')
    .select(['tenant_id', 'family_id', 'used_at'])
    .where('token_hash', '=', tokenHash)
    .executeTakeFirst();
}

export async function revokeFamily(
  db: Executor,
  family: { tenantId: string; familyId: string },
  reason: string,
  now: Date,
): Promise<void> {
  await db
    .updateTable('refresh_token_families')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('tenant_id', '=', family.tenantId)
    .where('id', '=', family.familyId)
    .where('revoked_at', 'is', null)
    .execute();
}

/** Every live family of the user: all their sessions end at once. */
export async function revokeUserFamilies(
  db: Executor,
  owner: { tenantId: string; userId: string },
  reason: string,
  now: Date,
): Promise<number> {
  const result = await db
    .updateTable('refresh_token_families')
    .set({ revoked_at: now, revoked_reason: reason })
    .where('tenant_id', '=', owner.tenantId)
    .where('user_id', '=', owner.userId)
    .where('revoked_at', 'is', null)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}
