import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import type { Executor, Role, UsersTable } from './schema.ts';

export type UserRow = Selectable<UsersTable>;

export interface NewUser {
  tenantId: string;
  email: string;
  name: string;
  role: Role;
  passwordHash: string;
}

/** Throws the driver's unique violation when the email is taken; the caller maps it. */
export async function insertUser(db: Executor, user: NewUser): Promise<UserRow> {
  return db
    .insertInto('users')
    .values({
      id: randomUUID(),
      tenant_id: user.tenantId,
      email: user.email,
      name: user.name,
      role: user.role,
      password_hash: user.passwordHash,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Looked up by email alone: login happens before the tenant is known. */
export async function findUserByEmail(db: Executor, email: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('email', '=', email).executeTakeFirst();
}

export async function findActiveUser(
  db: Executor,
  tenantId: string,
  userId: string,
): Promise<UserRow | undefined> {
  return db
    .selectFrom('users')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', userId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function emailExists(db: Executor, email: string): Promise<boolean> {
  const row = await db
    .selectFrom('users')
    .select('id')
    .where('email', '=', email)
    .executeTakeFirst();
  return row !== undefined;
}

export async function updatePasswordHash(
  db: Executor,
  user: Pick<UserRow, 'tenant_id' | 'id'>,
  passwordHash: string,
): Promise<void> {
  await db
    .updateTable('users')
    .set({ password_hash: passwordHash, updated_at: new Date() })
    .where('tenant_id', '=', user.tenant_id)
    .where('id', '=', user.id)
    .execute();
}

/** Soft delete; the row stays so its email stays taken and its tokens name a known user. */
export async function markUserDeleted(
  db: Executor,
  user: { tenantId: string; userId: string },
  now: Date,
): Promise<'marked' | 'already' | 'unknown'> {
  const marked = await db
    .updateTable('users')
    .set({ deleted_at: now, updated_at: now })
    .where('tenant_id', '=', user.tenantId)
    .where('id', '=', user.userId)
    .where('deleted_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (marked) return 'marked';
  const exists = await db
    .selectFrom('users')
    .select('id')
    .where('tenant_id', '=', user.tenantId)
    .where('id', '=', user.userId)
    .executeTakeFirst();
  return exists ? 'already' : 'unknown';
}
