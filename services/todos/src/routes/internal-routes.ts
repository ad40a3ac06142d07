import type { ServiceApp, ServiceContext } from '@lattice/platform';
import { Type } from 'typebox';
import type { TodosDeps } from '../domain/deps.ts';
import { purgeDeletedTodos } from '../domain/purge-deleted-todos.ts';

const PurgeReply = Type.Object({
  purged: Type.Integer({ minimum: 0, description: 'Soft-deleted todos removed for good' }),
});

/** Routes other services call (the worker's retention job); service tokens only. */
export function registerInternalRoutes(
  app: ServiceApp,
  deps: TodosDeps,
  auth: ServiceContext['auth'],
  retentionDays: number,
): void {
  app.post(
    '/internal/todos/purge-deleted',
    {
      preHandler: [auth.authenticateService],
      schema: { hide: true, response: { 200: PurgeReply } },
    },
    async (request) => {
      const purged = await purgeDeletedTodos(deps, retentionDays);
      request.log.info({ purged, retentionDays, caller: request.caller?.service }, 'todos purged');
      return { purged };
    },
  );
}
