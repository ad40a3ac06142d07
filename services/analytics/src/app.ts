import type { ServiceDefinition } from '@lattice/platform';
import { Counter } from 'prom-client';
import { type AnalyticsConfigProperties, analyticsConfig } from './config.ts';
import type { AnalyticsDb } from './data/schema.ts';
import { readModelConsumer } from './events/read-model-consumer.ts';
import { registerAnalyticsRoutes } from './routes/analytics-routes.ts';
import { registerRebuildRoute } from './routes/rebuild-route.ts';

/** CQRS read models of every domain event, per tenant and hour; summaries and time series. */
export const service: ServiceDefinition<AnalyticsConfigProperties, AnalyticsDb> = {
  name: 'analytics',
  description:
    'Numbers for tenant admins: signups, active users, todos, orders, revenue, refunds and payment failures, per hour or day',
  config: analyticsConfig,
  migrations: new URL('../migrations/', import.meta.url),
  routes(app, context) {
    const { config, db, events, auth, metrics } = context;
    const applied = new Counter({
      name: 'analytics_events_applied_total',
      help: 'Events applied to the read models, by event type (a batch that failed and was re-applied event by event counts twice)',
      labelNames: ['type'],
      registers: [metrics],
    });
    events.consume(readModelConsumer(applied));
    registerAnalyticsRoutes(
      app,
      {
        db: db.db,
        limits: {
          maxHourlyPoints: config.ANALYTICS_MAX_HOURLY_POINTS,
          maxDailyPoints: config.ANALYTICS_MAX_DAILY_POINTS,
        },
        now: () => new Date(),
      },
      auth,
    );
    registerRebuildRoute(app, context);
  },
};
