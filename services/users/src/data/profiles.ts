import type { Selectable } from 'kysely';
import type { Executor, ProfilesTable } from './schema.ts';

export type ProfileRow = Selectable<ProfilesTable>;

export interface NewProfile {
  id: string;
  email: string;
  name: string;
  roles: string[];
  createdAt: Date;
}

export interface ProfileChanges {
  name?: string;
  locale?: string;
  timezone?: string;
}

/** Where a page starts: strictly after this (created_at, id) in newest-first order. */
export interface PagePosition {
  createdAt: Date;
  id: string;
}

/**
 * The profiles of one tenant. Built per request (or per event) with the tenant id, and the only
 * way the service reaches the table: tenant isolation lives here, so no query can forget it.
 */
export function tenantProfiles(db: Executor, tenantId: string) {
  const select = () => db.selectFrom('profiles').selectAll().where('tenant_id', '=', tenantId);
  const selectLive = () => select().where('deleted_at', 'is', null);
  const updateLive = () =>
    db.updateTable('profiles').where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);

  return {
    /** False when the id already exists: redelivered events apply once, deleted stay deleted. */
    async insertIfAbsent(profile: NewProfile): Promise<boolean> {
      const inserted = await db
        .insertInto('profiles')
        .values({
          id: profile.id,
          tenant_id: tenantId,
          email: profile.email,
          name: profile.name,
          roles: profile.roles,
          created_at: profile.createdAt,
          updated_at: profile.createdAt,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .returning('id')
        .executeTakeFirst();
      return inserted !== undefined;
    },

    /** Live or deleted: the caller tells "deleted" from "not there yet". */
    async find(id: string): Promise<ProfileRow | undefined> {
      return select().where('id', '=', id).executeTakeFirst();
    },

    async findLive(id: string): Promise<ProfileRow | undefined> {
      return selectLive().where('id', '=', id).executeTakeFirst();
    },

    /** Up to `count` live profiles, newest first (id breaks ties of equal created_at). */
    async listLive(count: number, after?: PagePosition): Promise<ProfileRow[]> {
      let query = selectLive();
      if (after) {
        query = query.where((eb) =>
          eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)),
        );
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(count).execute();
    },

    async update(id: string, changes: ProfileChanges, now: Date): Promise<ProfileRow | undefined> {
      return updateLive()
        .set({ ...changes, updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /** Undefined when there was no live profile to delete (unknown, other tenant, or already deleted). */
    async softDelete(id: string, deletedBy: string, now: Date): Promise<ProfileRow | undefined> {
      return updateLive()
        .set({ deleted_at: now, deleted_by: deletedBy, updated_at: now })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },
  };
}

export type TenantProfiles = ReturnType<typeof tenantProfiles>;
