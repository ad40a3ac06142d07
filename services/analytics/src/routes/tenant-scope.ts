import { type Identity, ROLES } from '@lattice/platform';
import type { FastifyRequest } from 'fastify';
import { AnalyticsErrors } from '../errors.ts';

/**
 * The tenant whose analytics the caller may read: a tenant admin reads their own tenant only
 * (naming another answers 403); a platform admin may name any tenant with `tenantId`.
 * This is the one place tenant isolation of the API is decided.
 */
export function tenantOf(request: FastifyRequest, asked: string | undefined): string {
  const identity = callerOf(request);
  const platformAdmin = identity.roles.includes(ROLES.platformAdmin);
  if (!platformAdmin && !identity.roles.includes(ROLES.admin)) {
    throw AnalyticsErrors.notAdmin('needs the admin role of the tenant (or platform-admin)');
  }
  if (asked === undefined || asked === identity.tenantId) return identity.tenantId;
  if (!platformAdmin) {
    throw AnalyticsErrors.forbiddenTenant(
      'a tenant admin reads the analytics of their own tenant only',
    );
  }
  return asked;
}

function callerOf(request: FastifyRequest): Identity {
  // Reaching a handler without it is a wiring bug, hence a 500 rather than a 401.
  if (!request.identity) throw new Error('route registered without the authenticate hook');
  return request.identity;
}
