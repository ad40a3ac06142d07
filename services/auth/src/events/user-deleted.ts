import type { CloudEvent } from '@lattice/platform';
import type { Transaction } from 'kysely';
import { revokeUserFamilies } from '../data/refresh-tokens.ts';
import type { AuthDb } from '../data/schema.ts';
import { markUserDeleted } from '../data/users.ts';

export const USER_DELETED = 'lattice.users.user.deleted.v1';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** An event this consumer can never apply; thrown so the bus retries, then dead-letters it. */
export class MalformedEventError extends Error {
  constructor(event: unknown, reason: string) {
    const id = (event as { id?: unknown } | null)?.id;
    super(`${USER_DELETED} ${String(id)} is malformed: ${reason}`);
    this.name = 'MalformedEventError';
  }
}

function ids(event: CloudEvent<unknown>): { userId: string; tenantId: string } {
  if (event?.type !== USER_DELETED)
    throw new MalformedEventError(event, `unexpected type ${String(event?.type)}`);
  const data = event.data as { userId?: unknown; tenantId?: unknown } | null;
  const { userId, tenantId } = data ?? {};
  // The contract only asks for strings; account ids here are UUIDs, anything else is no account.
  if (typeof userId !== 'string' || !UUID.test(userId))
    throw new MalformedEventError(event, 'data.userId is not a user id');
  if (typeof tenantId !== 'string' || !UUID.test(tenantId))
    throw new MalformedEventError(event, 'data.tenantId is not a tenant id');
  if (event.tenantid !== tenantId)
    throw new MalformedEventError(event, 'tenantid differs from data.tenantId');
  return { userId, tenantId };
}

export type DeletionOutcome = 'deleted' | 'already-deleted' | 'unknown-user';

/**
 * The users service deleted a user: from now on they cannot log in, and every refresh-token
 * family of theirs is revoked, so no session outlives the deletion beyond its access token
 * (15 minutes at most). Runs in the consumer's transaction; idempotent on its own as well.
 */
export async function applyUserDeleted(
  trx: Transaction<AuthDb>,
  event: CloudEvent<unknown>,
  now: Date,
): Promise<DeletionOutcome> {
  const owner = ids(event);
  const marked = await markUserDeleted(trx, owner, now);
  await revokeUserFamilies(trx, owner, 'user-deleted', now);
  if (marked === 'unknown') return 'unknown-user';
  return marked === 'marked' ? 'deleted' : 'already-deleted';
}
