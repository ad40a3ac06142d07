import diagnostics from 'node:diagnostics_channel';
import {
  context,
  propagation,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
} from '@opentelemetry/semantic-conventions';
import { activeSpanAndTracer, failSpan } from './tracing.ts';

/** The parts of undici's Request the diagnostics channels hand out that this file reads. */
interface UndiciRequest {
  origin: string | URL;
  method: string;
  path: string;
  /** Flat `[name, value, name, value, ...]`. */
  headers: unknown[] | string;
  addHeader(name: string, value: string): unknown;
}

const spans = new WeakMap<UndiciRequest, Span>();
let subscribed = false;

/** Replaces a header undici already holds (the gateway forwards the client's traceparent). */
function setHeader(request: UndiciRequest, name: string, value: string): void {
  if (Array.isArray(request.headers)) {
    for (let i = 0; i < request.headers.length; i += 2) {
      if (String(request.headers[i]).toLowerCase() === name) {
        request.headers[i + 1] = value;
        return;
      }
    }
  }
  request.addHeader(name, value);
}

function onCreate({ request }: { request: UndiciRequest }): void {
  // Only calls made while handling something are traced: a client span with no parent
  // (background polling, health checks) would make a one-span trace each time.
  const found = activeSpanAndTracer();
  if (!found) return;
  const { tracer } = found;
  const active = context.active();
  const origin = new URL(String(request.origin));
  const span = tracer.startSpan(
    request.method,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTR_HTTP_REQUEST_METHOD]: request.method,
        [ATTR_SERVER_ADDRESS]: origin.hostname,
        [ATTR_SERVER_PORT]: Number(origin.port || (origin.protocol === 'https:' ? 443 : 80)),
        [ATTR_URL_FULL]: `${origin.origin}${request.path.split('?')[0]}`,
      },
    },
    active,
  );
  spans.set(request, span);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(active, span), carrier);
  for (const [name, value] of Object.entries(carrier)) setHeader(request, name, value);
}

function onHeaders({
  request,
  response,
}: {
  request: UndiciRequest;
  response: { statusCode: number };
}): void {
  const span = spans.get(request);
  if (!span) return;
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, response.statusCode);
  if (response.statusCode >= 400) {
    span.setAttribute(ATTR_ERROR_TYPE, String(response.statusCode));
    span.setStatus({ code: SpanStatusCode.ERROR });
  }
}

function onDone({ request }: { request: UndiciRequest }): void {
  const span = spans.get(request);
  if (!span) return;
  spans.delete(request);
  span.end();
}

function onError({ request, error }: { request: UndiciRequest; error: unknown }): void {
  const span = spans.get(request);
  if (!span) return;
  spans.delete(request);
  span.setAttribute(ATTR_ERROR_TYPE, (error as { code?: string }).code ?? 'error');
  failSpan(span, error);
  span.end();
}

/**
 * CLIENT spans for every undici request made inside a traced context (the kit's resilient
 * client, the gateway's proxy, anything using undici), with the W3C `traceparent` of the
 * client span injected, so the callee's SERVER span is its child. Through Node's
 * diagnostics_channel, which undici publishes to: nothing is patched.
 */
export function traceUndiciRequests(): void {
  if (subscribed) return;
  subscribed = true;
  diagnostics.subscribe('undici:request:create', onCreate as (message: unknown) => void);
  diagnostics.subscribe('undici:request:headers', onHeaders as (message: unknown) => void);
  diagnostics.subscribe('undici:request:trailers', onDone as (message: unknown) => void);
  diagnostics.subscribe('undici:request:error', onError as (message: unknown) => void);
}
