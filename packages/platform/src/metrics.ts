import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { HttpMetrics } from './http-metrics.ts';

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
  collectDefaultMetrics({ register: registry });
  http?.registerIn(registry);

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
