import type { ServiceApp, ServiceContext } from '@lattice/platform';
import { Type } from 'typebox';
import { tenantProfiles } from '../data/profiles.ts';
import type { UsersDeps } from '../domain/deps.ts';
import { UsersErrors } from '../errors.ts';

const InternalUserParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
const InternalUserQuery = Type.Object({
  tenantId: Type.String({ format: 'uuid', description: "The user's tenant" }),
});
const InternalUserReply = Type.Object({
  id: Type.String(),
  tenantId: Type.String(),
  email: Type.String(),
  name: Type.String(),
  locale: Type.String({ description: 'BCP 47; the installation default until the user picks one' }),
  timezone: Type.String({ description: 'IANA; the installation default until the user picks one' }),
});

/**
 * What other services may know of a user to address them (notifications: email, name, locale
 * and time zone). Only with a service token for this service; the tenant is part of the query,
 * so the lookup goes through the tenant-scoped repository like every other read.
 */
export function registerInternalRoutes(
  app: ServiceApp,
  deps: UsersDeps,
  auth: ServiceContext['auth'],
): void {
  app.get(
    '/internal/users/:id',
    {
      onRequest: [auth.authenticateService],
      schema: {
        hide: true,
        params: InternalUserParams,
        querystring: InternalUserQuery,
        response: { 200: InternalUserReply },
      },
    },
    async (request) => {
      const row = await tenantProfiles(deps.database.db, request.query.tenantId).findLive(
        request.params.id,
      );
      if (!row) throw UsersErrors.notFound('No live user with this id in this tenant');
      return {
        id: row.id,
        tenantId: row.tenant_id,
        email: row.email,
        name: row.name,
        locale: row.locale ?? deps.defaults.locale,
        timezone: row.timezone ?? deps.defaults.timezone,
      };
    },
  );
}
