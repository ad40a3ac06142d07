import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { HttpMetrics } from './http-metrics.ts';

/**
 * How often the event-loop delay histogram samples, in ms. prom-client's default (10) wakes an
 * idle process 100 times a second, per registry: in the distributed bench, idle services spent
 * ~1.7% of a core each on it. A 50 ms tick still catches every stall that long or longer, and
 * shorter ones in proportion to their length.
 */
const EVENT_LOOP_SAMPLE_MS = 50;

/**
 * Prometheus metrics of one service: RED per route (`http`, recorded by the kit's response
 * hook; labelled by route template, never the raw path, so label cardinality stays bounded)
 * and the runtime's own (event loop, heap, GC). Each service has its own registry, so services
 * sharing a process still report apart.
 */
export function registerMetrics(
  app: FastifyInstance,
  service: string,
  http: HttpMetrics | undefined,
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  http?.registerIn(registry);

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
