import { decodeKeysetCursor, encodeKeysetCursor, type Identity } from '@lattice/platform';
import { UsersErrors } from '../errors.ts';
import { userDeleted } from '../events/user-deleted.ts';
import { callerProfiles, sameUser } from './caller.ts';
import type { UsersDeps } from './deps.ts';
import { type Profile, toProfile } from './profile-view.ts';

export interface UserPage {
  items: Profile[];
  /** Null on the last page. */
  nextCursor: string | null;
}

/** The admin's tenant only; the cursor is the position of the previous page's last item. */
export async function listTenantUsers(
  deps: UsersDeps,
  caller: Identity,
  page: { limit: number; cursor?: string },
): Promise<UserPage> {
  const after =
    page.cursor === undefined
      ? undefined
      : decodeKeysetCursor(page.cursor, UsersErrors.invalidCursor);
  // One row more than asked tells whether another page exists without a count query.
  const rows = await callerProfiles(deps.database.db, caller).listLive(page.limit + 1, after);
  const items = rows.slice(0, page.limit);
  const last = items.at(-1);
  return {
    items: items.map((row) => toProfile(row, deps.defaults)),
    nextCursor:
      rows.length > page.limit && last
        ? encodeKeysetCursor({ createdAt: last.created_at, id: last.id })
        : null,
  };
}

/** Another tenant's user is "not found", not "forbidden": ids of other tenants must not leak. */
export async function getTenantUser(
  deps: UsersDeps,
  caller: Identity,
  userId: string,
): Promise<Profile> {
  const row = await callerProfiles(deps.database.db, caller).findLive(userId);
  if (!row) throw notFound();
  return toProfile(row, deps.defaults);
}

/**
 * Soft delete: the row stays (deleted_at, deleted_by) so the audit trail and a redelivered
 * registration cannot resurrect it. The `lattice.users.user.deleted.v1` event (in the outbox)
 * commits with the delete or not at all.
 */
export async function deleteTenantUser(
  deps: UsersDeps,
  caller: Identity,
  userId: string,
  context: { traceparent?: string } = {},
): Promise<void> {
  // An admin deleting themselves could leave a tenant nobody can administer; another admin must.
  if (sameUser(userId, caller.userId)) {
    throw UsersErrors.cannotDeleteSelf(
      'You cannot delete your own account: another admin of the tenant must do it, so the tenant is never left without one by accident',
    );
  }
  await deps.database.transaction(async (trx) => {
    const now = deps.now();
    const deleted = await callerProfiles(trx, caller).softDelete(userId, caller.userId, now);
    if (!deleted) throw notFound();
    await deps.events.record(
      trx,
      userDeleted(
        deps.events,
        { userId: deleted.id, tenantId: deleted.tenant_id, deletedBy: caller.userId },
        { time: now, traceparent: context.traceparent },
      ),
    );
  });
}

function notFound() {
  return UsersErrors.notFound('No such user in your tenant');
}
