import { consumerGroup, ROLES, type ServiceApp, type ServiceContext } from '@lattice/platform';
import { Type } from 'typebox';
import type { AnalyticsConfigProperties } from '../config.ts';
import type { AnalyticsDb } from '../data/schema.ts';
import { READ_MODEL_CONSUMER } from '../events/event-types.ts';
import { rebuildReadModels } from '../rebuild/rebuild-read-models.ts';

const RebuildQuery = Type.Object(
  {
    source: Type.Optional(
      Type.Union([Type.Literal('stream'), Type.Literal('log')], {
        description: 'Default: stream in distributed mode, log in embedded mode',
      }),
    ),
    allowPartial: Type.Optional(
      Type.Boolean({
        description: 'Rebuild from streams that lost old events to retention anyway',
      }),
    ),
  },
  { additionalProperties: false },
);

const RebuildReply = Type.Object({
  source: Type.String(),
  read: Type.Integer(),
  applied: Type.Integer(),
  skipped: Type.Integer(),
  durationMs: Type.Integer(),
});

/**
 * The rebuild inside the running service, for operators (platform-admin): in embedded mode the
 * PGlite file belongs to the running process, so `src/rebuild.ts` cannot open it meanwhile.
 * The answer comes when the rebuild committed; progress goes to the service's log.
 */
export function registerRebuildRoute(
  app: ServiceApp,
  context: Pick<
    ServiceContext<AnalyticsConfigProperties, AnalyticsDb>,
    'auth' | 'config' | 'db' | 'log'
  >,
): void {
  const { auth, config, db, log } = context;
  app.post(
    '/api/v1/analytics/rebuild',
    {
      onRequest: [auth.authenticate, auth.requireRole(ROLES.platformAdmin)],
      schema: {
        tags: ['analytics'],
        summary: 'Drop the read models and rebuild them by replaying the events (platform-admin)',
        querystring: RebuildQuery,
        response: { 200: RebuildReply },
      },
    },
    async (request) => {
      const configured = config.ANALYTICS_REBUILD_SOURCE;
      const kind =
        request.query.source ??
        (configured === 'auto'
          ? config.LATTICE_MODE === 'distributed'
            ? 'stream'
            : 'log'
          : configured);
      log.info({ source: kind, by: request.identity?.userId }, 'read-model rebuild started');
      const result = await rebuildReadModels(db, {
        source:
          kind === 'stream'
            ? { kind, natsUrl: config.NATS_URL, allowPartial: request.query.allowPartial ?? false }
            : { kind },
        consumer: `${config.EVENT_GROUP_PREFIX}${consumerGroup('analytics', READ_MODEL_CONSUMER)}`,
        progress: { write: (text) => log.info(text.trim()), isTTY: false },
        progressIntervalMs: 10_000,
      });
      const { streams: _streams, ...summary } = result;
      log.info(summary, 'read-model rebuild done');
      return summary;
    },
  );
}
