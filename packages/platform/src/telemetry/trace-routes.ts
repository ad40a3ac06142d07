import { Type } from 'typebox';
import { ROLES } from '../auth/identity.ts';
import { PlatformErrors } from '../errors.ts';
import type { ServiceApp, ServiceContext } from '../service-types.ts';
import { spanStore } from './tracing.ts';

/**
 * `GET /api/v1/ops/traces` (recent traces, newest first) and `GET /api/v1/ops/traces/:traceId`
 * (one trace as a span tree), from this process's in-memory store: in embedded mode every
 * service's spans, so a newcomer follows a request through the system with nothing
 * installed. Platform admins only: spans name internal routes and queries. The gateway mounts
 * them (one process, one store); in distributed mode use an OTLP backend instead.
 */
export function registerTraceRoutes(app: ServiceApp, context: Pick<ServiceContext, 'auth'>): void {
  const guard = [context.auth.authenticate, context.auth.requireRole(ROLES.platformAdmin)];
  app.get(
    '/api/v1/ops/traces',
    {
      preHandler: guard,
      schema: {
        summary: 'Recent traces kept in memory, newest first (platform admins)',
        tags: ['ops'],
        querystring: Type.Object(
          {
            limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
            service: Type.Optional(Type.String({ pattern: '^[a-z][a-z0-9-]*$', maxLength: 48 })),
          },
          { additionalProperties: false },
        ),
      },
    },
    async (request) => {
      const { limit, service } = request.query;
      const store = spanStore();
      const traces = store
        .list(service ? store.capacity : limit)
        .filter((t) => !service || t.services.includes(service))
        .slice(0, limit);
      return { kept: store.capacity, traces };
    },
  );
  app.get(
    '/api/v1/ops/traces/:traceId',
    {
      preHandler: guard,
      schema: {
        summary: 'One trace as a tree of spans (platform admins)',
        tags: ['ops'],
        params: Type.Object({ traceId: Type.String({ pattern: '^[0-9a-f]{32}$' }) }),
      },
    },
    async (request) => {
      const { traceId } = request.params;
      const roots = spanStore().tree(traceId);
      if (!roots) {
        throw PlatformErrors.notFound(
          `Trace ${traceId} is not kept in memory (unknown, or evicted by newer traces)`,
        );
      }
      return { traceId, spanCount: spanStore().spans(traceId).length, roots };
    },
  );
}
