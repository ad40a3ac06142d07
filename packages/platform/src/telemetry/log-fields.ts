import { trace } from '@opentelemetry/api';

/**
 * pino `mixin`: the active span's ids on every line written inside a request or a message
 * handler, so a log line leads to its trace and back. Lines outside any span carry neither.
 */
export function traceLogFields(): { traceId?: string; spanId?: string } {
  const span = trace.getActiveSpan();
  // pino merges the line's own fields into the returned object: it must be a fresh one.
  if (!span) return {};
  const { traceId, spanId } = span.spanContext();
  return { traceId, spanId };
}
