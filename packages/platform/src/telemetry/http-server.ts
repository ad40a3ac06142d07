import {
  type Attributes,
  context,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
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
import { isProbe } from '../http/probes.ts';
import { traceIdOf } from '../http/trace-context.ts';
import { withActiveSpan } from './linked-context.ts';
import { failSpan, useTraceIdForNextRoot } from './tracing.ts';

const kSpan = Symbol('lattice.serverSpan');
type TracedRequest = FastifyRequest & { [kSpan]?: Span };

/**
 * The SERVER span of each request, continuing the caller's W3C `traceparent`. The kit's request
 * hooks (http/request-lifecycle.ts) call `startServerSpan` and `endServerSpan`, so tracing adds
 * no hook of its own to the path every request takes.
 */
export function declareServerSpans(app: FastifyInstance): void {
  // Declared up front so every request object is built with the slot: a property added to
  // some requests and not others gives them another hidden class, and V8 then slows down
  // every function that handles requests, Fastify's included.
  app.decorateRequest(kSpan, undefined);

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

/**
 * Starts the request's span and calls `done` inside `context.with`: Fastify runs the later
 * hooks and the handler from that call, so every span and log line of the handler sees it. The
 * span is named `METHOD /route/:template` when it ends.
 */
export function startServerSpan(tracer: Tracer, request: FastifyRequest, done: () => void): void {
  const { headers, url } = request;
  if (isProbe(url)) {
    done();
    return;
  }
  // Most requests come without a caller's trace: no propagator round for them, and the new
  // trace takes the id the request's logger was already given, so they agree.
  const parent = headers.traceparent ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
  const caller = trace.getSpanContext(parent);
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
}

export function endServerSpan(
  request: FastifyRequest,
  route: string | undefined,
  status: number,
): void {
  const span = (request as TracedRequest)[kSpan];
  // Already ended when the client aborted: the response hook may still run after that.
  if (!span?.isRecording()) return;
  if (route) {
    span.updateName(`${request.method} ${route}`);
    span.setAttribute(ATTR_HTTP_ROUTE, route);
  }
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
  // Semantic conventions: a 4xx is the client's error, not the server span's.
  if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
