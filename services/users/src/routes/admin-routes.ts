import type { ServiceApp, ServiceContext } from '@lattice/platform';
import type { UsersDeps } from '../domain/deps.ts';
import { deleteTenantUser, getTenantUser, listTenantUsers } from '../domain/tenant-users.ts';
import { callerOf } from './caller.ts';
import { ListQuery, ProfileReply, UserPageReply, UserParams } from './schemas.ts';

const tags = ['users'];
const description =
  "Requires `Authorization: Bearer <accessToken>` of an admin of the user's tenant";

export function registerAdminRoutes(
  app: ServiceApp,
  deps: UsersDeps,
  auth: ServiceContext['auth'],
): void {
  // As onRequest hooks, not preHandler: 401/403 come before any parsing or validation, so a
  // member cannot probe admin routes' inputs.
  const onRequest = [auth.authenticate, auth.requireRole('admin')];

  app.get(
    '/api/v1/users',
    {
      onRequest,
      schema: {
        tags,
        summary: "The users of the caller's tenant, newest first (tenant admin)",
        description,
        querystring: ListQuery,
        response: { 200: UserPageReply },
      },
    },
    async (request) => listTenantUsers(deps, callerOf(request), request.query),
  );

  app.get(
    '/api/v1/users/:id',
    {
      onRequest,
      schema: {
        tags,
        summary: "A user of the caller's tenant (tenant admin)",
        description,
        params: UserParams,
        response: { 200: ProfileReply },
      },
    },
    async (request) => getTenantUser(deps, callerOf(request), request.params.id),
  );

  app.delete(
    '/api/v1/users/:id',
    {
      onRequest,
      schema: {
        tags,
        summary: "Soft-delete a user of the caller's tenant; not yourself (tenant admin)",
        description,
        params: UserParams,
      },
    },
    async (request, reply) => {
      const traceparent = request.headers.traceparent;
      await deleteTenantUser(deps, callerOf(request), request.params.id, {
        traceparent: typeof traceparent === 'string' ? traceparent : undefined,
      });
      return reply.code(204).send();
    },
  );
}
