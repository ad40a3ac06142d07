import type { Identity } from '@lattice/platform';
import { type TenantProfiles, tenantProfiles } from '../data/profiles.ts';
import type { Executor } from '../data/schema.ts';
import { UsersErrors } from '../errors.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/**
 * The profiles of the caller's tenant. A valid token whose subject or tenant is not an account
 * id (a service token, say) has no profile here: 404, rather than a database type error.
 */
export function callerProfiles(db: Executor, caller: Identity): TenantProfiles {
  if (!isUuid(caller.userId) || !isUuid(caller.tenantId))
    throw UsersErrors.notFound('This access token does not belong to a user account');
  return tenantProfiles(db, caller.tenantId);
}

/** Token subjects and path ids may differ in case only; the database does not care, we must not either. */
export function sameUser(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}
