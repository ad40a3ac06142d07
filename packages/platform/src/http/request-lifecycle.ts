import type { FastifyInstance } from 'fastify';
import type { HttpMetrics } from '../http-metrics.ts';
import { declareServerSpans, endServerSpan, startServerSpan } from '../telemetry/http-server.ts';
import type { ServiceTracing } from '../telemetry/tracing.ts';
import { isProbe } from './probes.ts';

/**
 * What the kit does around every request, in one hook at each end: the `x-request-id` header
 * and the SERVER span (when tracing is on) as it arrives; the span's end, the RED metrics
 * (when `http` is given) and the log line as it is answered. Each hook Fastify runs costs every
 * request, and so does each read of `request.routeOptions` (a new object per read): both are
 * done once here for all the parts. Callback style: an async hook costs a promise and a
 * microtask per request.
 */
export function installRequestLifecycle(
  app: FastifyInstance,
  tracing: ServiceTracing,
  http: HttpMetrics | undefined,
): void {
  const { tracer } = tracing;
  if (tracing.enabled) declareServerSpans(app);

  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    if (tracing.enabled) startServerSpan(tracer, request, done);
    else done();
  });

  app.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    if (tracing.enabled || http) {
      const route = request.routeOptions.url;
      if (tracing.enabled) endServerSpan(request, route, status);
      http?.record(request.method, route, status, reply.elapsedTime / 1000);
    }
    const line = {
      method: request.method,
      url: request.url,
      status,
      ms: Math.round(reply.elapsedTime),
    };
    if (status >= 500) request.log.warn(line, 'request failed');
    else if (!isProbe(request.url)) request.log.info(line, 'request completed');
    done();
  });
}
