import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics of one service: RED per route (labelled by route template, never the raw
 * path, so label cardinality stays bounded) and the runtime's own (event loop, heap, GC).
 * Each service has its own registry, so services sharing a process still report apart.
 */
export function registerMetrics(app: FastifyInstance, service: string, red = true): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });

  const requests = new Counter({
    name: 'http_server_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_server_request_duration_seconds',
    help: 'Time to answer HTTP requests, by method and route template',
    labelNames: ['method', 'route'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  // Callback style: an async hook costs a promise and a microtask on every request.
  if (red)
    app.addHook('onResponse', (request, reply, done) => {
      // Unmatched requests share one label instead of minting one per probed URL.
      const route = request.routeOptions.url ?? 'unmatched';
      if (!route.startsWith('/health/') && route !== '/metrics') {
        requests.inc({ method: request.method, route, status: String(reply.statusCode) });
        duration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      }
      done();
    });

  app.get('/metrics', { schema: { hide: true } }, async (_request, reply) => {
    reply.type(registry.contentType);
    return registry.metrics();
  });
  return registry;
}
