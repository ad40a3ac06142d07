import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { EventBus } from '../bus/event-bus.ts';
import type { Database } from '../db/database.ts';
import type { ServiceApp } from '../service-types.ts';
import { type PruneRetention, pruneMessagingTables } from './prune-messaging.ts';

export const MAINTENANCE_PRUNE_PATH = '/internal/maintenance/prune';

const PruneAnswer = Type.Object({
  outbox: Type.Integer({ minimum: 0, description: 'Sent outbox rows deleted' }),
  inbox: Type.Integer({ minimum: 0, description: 'Processed inbox rows deleted' }),
});

/**
 * Maintenance other services (the worker's prune job) call on every service that has a
 * database: `POST /internal/maintenance/prune` → `{outbox, inbox}`. Service tokens only: the
 * gateway does not forward /internal, and no user token is accepted. A service without a
 * database has no such route, so the caller gets a 404 and knows there is nothing to prune.
 */
export function registerMaintenanceRoutes(
  app: ServiceApp,
  options: {
    database: Database;
    bus: EventBus;
    authenticateService: (request: FastifyRequest) => Promise<void>;
    retention: PruneRetention;
  },
): void {
  app.post(
    MAINTENANCE_PRUNE_PATH,
    {
      preHandler: [options.authenticateService],
      schema: {
        hide: true,
        response: { 200: PruneAnswer },
      },
    },
    async (request) => {
      const counts = await pruneMessagingTables(options.database, options.bus, options.retention);
      request.log.info({ ...counts, caller: request.caller?.service }, 'messaging tables pruned');
      return counts;
    },
  );
}
