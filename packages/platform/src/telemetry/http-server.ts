import {
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
import { failSpan, type ServiceTracing, useTraceIdForNextRoot } from './tracing.ts';

const kSpan = Symbol('lattice.serverSpan');
type TracedRequest = FastifyRequest & { [kSpan]?: Span };

/** Probes and scrapes arrive every few seconds: spans for them would crowd out real traces. */
function untraced(url: string): boolean {
  return url.startsWith('/health/') || url === '/metrics';
}

/**
 * A SERVER span per request, named `METHOD /route/:template`, continuing the caller's W3C
 * `traceparent`. It is made the active context for the rest of the request's lifecycle by
 * calling `done` inside `context.with`: Fastify runs the later hooks and the handler from
 * that call, so every span and log line of the handler sees it.
 */
export function installServerTracing(app: FastifyInstance, tracing: ServiceTracing): void {
  if (!tracing.enabled) return;
  const { tracer } = tracing;
  // Declared up front so every request object is built with the slot: a property added to
  // some requests and not others gives them another hidden class, and V8 then slows down
  // every function that handles requests, Fastify's included.
  app.decorateRequest(kSpan, undefined);

  app.addHook('onRequest', (request, _reply, done) => {
    if (untraced(request.url)) return done();
    const { headers } = request;
    // Most requests come without a caller's trace: no propagator round for them.
    const parent = headers.traceparent ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
    // A new trace takes the id the request's logger was already given, so they agree.
    const caller = trace.getSpanContext(parent);
    if (!caller || !isSpanContextValid(caller)) useTraceIdForNextRoot(traceIdOf(request.raw));
    const { url } = request;
    const query = url.indexOf('?');
    const route = request.routeOptions.url;
    const span = tracer.startSpan(
      route ? `${request.method} ${route}` : request.method,
      {
        kind: SpanKind.SERVER,
        attributes: {
          [ATTR_HTTP_REQUEST_METHOD]: request.method,
          [ATTR_URL_PATH]: query === -1 ? url : url.slice(0, query),
          [ATTR_URL_SCHEME]: request.protocol,
          ...(route ? { [ATTR_HTTP_ROUTE]: route } : {}),
          [ATTR_CLIENT_ADDRESS]: request.ip,
          ...(headers['user-agent'] ? { [ATTR_USER_AGENT_ORIGINAL]: headers['user-agent'] } : {}),
        },
      },
      parent,
    );
    (request as TracedRequest)[kSpan] = span;
    context.with(trace.setSpan(parent, span), done);
  });

  app.addHook('onError', async (request, _reply, error) => {
    const span = (request as TracedRequest)[kSpan];
    if (span) span.recordException(error);
  });

  // Callback style: an async hook costs a promise and a microtask on every request.
  app.addHook('onResponse', (request, reply, done) => {
    const span = (request as TracedRequest)[kSpan];
    if (span) {
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, reply.statusCode);
      // Semantic conventions: a 4xx is the client's error, not the server span's.
      if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    }
    done();
  });

  app.addHook('onRequestAbort', async (request) => {
    const span = (request as TracedRequest)[kSpan];
    if (!span) return;
    failSpan(span, new Error('client aborted the request'));
    span.end();
  });
}
