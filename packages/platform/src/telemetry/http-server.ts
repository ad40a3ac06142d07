import {
  type Attributes,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { traceIdOf } from '../http/trace-context.ts';
import type { HttpMetrics } from '../http-metrics.ts';
import { withActiveSpan } from './linked-context.ts';
import { failSpan, type ServiceTracing, useTraceIdForNextRoot } from './tracing.ts';

const kSpan = Symbol('lattice.serverSpan');
type TracedRequest = FastifyRequest & { [kSpan]?: Span };

/** Probes and scrapes arrive every few seconds: spans for them would crowd out real traces. */
function untraced(url: string): boolean {
  return url.startsWith('/health/') || url === '/metrics';
}

/**
 * What the kit observes of each request: a SERVER span (when tracing is on) continuing the
 * caller's W3C `traceparent`, and the RED metrics (when `http` is given).
 *
 * The span is made the active context for the rest of the request's lifecycle by calling
 * `done` inside `context.with`: Fastify runs the later hooks and the handler from that call, so
 * every span and log line of the handler sees it. It is named `METHOD /route/:template` when
 * the response is done, by the one response hook that also records the metrics: each hook
 * Fastify runs, and each read of `request.routeOptions` (a new object per read), costs every
 * request.
 */
export function installServerTelemetry(
  app: FastifyInstance,
  tracing: ServiceTracing,
  http: HttpMetrics | undefined,
): void {
  if (tracing.enabled) installServerSpans(app, tracing);
  if (!tracing.enabled && !http) return;
  // Callback style: an async hook costs a promise and a microtask on every request.
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url;
    const span = (request as TracedRequest)[kSpan];
    if (span) endServerSpan(span, request.method, route, reply.statusCode);
    http?.record(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    done();
  });
}

function installServerSpans(app: FastifyInstance, tracing: ServiceTracing): void {
  const { tracer } = tracing;
  // Declared up front so every request object is built with the slot: a property added to
  // some requests and not others gives them another hidden class, and V8 then slows down
  // every function that handles requests, Fastify's included.
  app.decorateRequest(kSpan, undefined);

  app.addHook('onRequest', (request, _reply, done) => {
    const { headers, url } = request;
    if (untraced(url)) return done();
    // Most requests come without a caller's trace: no propagator round for them, and the new
    // trace takes the id the request's logger was already given, so they agree.
    let parent = ROOT_CONTEXT;
    if (headers.traceparent) parent = propagation.extract(ROOT_CONTEXT, headers);
    const caller = headers.traceparent ? trace.getSpanContext(parent) : undefined;
    if (!caller || !isSpanContextValid(caller)) useTraceIdForNextRoot(traceIdOf(request.raw));
    const query = url.indexOf('?');
    const userAgent = headers['user-agent'];
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: request.method,
      [ATTR_URL_PATH]: query === -1 ? url : url.slice(0, query),
      [ATTR_URL_SCHEME]: request.protocol,
      [ATTR_CLIENT_ADDRESS]: request.ip,
    };
    if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent;
    const span = tracer.startSpan(request.method, { kind: SpanKind.SERVER, attributes }, parent);
    (request as TracedRequest)[kSpan] = span;
    context.with(withActiveSpan(parent, span), done);
  });

  app.addHook('onError', async (request, _reply, error) => {
    const span = (request as TracedRequest)[kSpan];
    if (span) span.recordException(error);
  });

  app.addHook('onRequestAbort', async (request) => {
    const span = (request as TracedRequest)[kSpan];
    if (!span) return;
    failSpan(span, new Error('client aborted the request'));
    span.end();
  });
}

function endServerSpan(span: Span, method: string, route: string | undefined, status: number) {
  if (route) {
    span.updateName(`${method} ${route}`);
    span.setAttribute(ATTR_HTTP_ROUTE, route);
  }
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  // Semantic conventions: a 4xx is the client's error, not the server span's.
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
