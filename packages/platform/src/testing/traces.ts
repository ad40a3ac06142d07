import { randomBytes } from 'node:crypto';
import type { StoredSpan } from '../telemetry/span-store.ts';
import { spanStore } from '../telemetry/tracing.ts';

/** A W3C traceparent for a trace the test starts: send it, then read the trace by its id. */
export function newTraceparent(): { traceId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  return { traceId, traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` };
}

/**
 * Matches a traceparent in the same trace as `traceparent`, from any span of it: what an event
 * recorded while handling a request carries (the handler's span, a child of the caller's).
 */
export function sameTrace(traceparent: string): RegExp {
  const [, traceId, , flags] = traceparent.split('-');
  return new RegExp(`^00-${traceId}-[0-9a-f]{16}-${flags}$`);
}

/** What one expected span must match; every given field must match. */
export interface SpanExpectation {
  service?: string;
  /** Exact name, or a pattern (`/^POST /`). */
  name?: string | RegExp;
  kind?: StoredSpan['kind'];
  /** Attributes the span must carry with these values. */
  attributes?: Record<string, unknown>;
}

function matches(span: StoredSpan, expected: SpanExpectation): boolean {
  if (expected.service !== undefined && span.service !== expected.service) return false;
  if (expected.kind !== undefined && span.kind !== expected.kind) return false;
  if (typeof expected.name === 'string' && span.name !== expected.name) return false;
  if (expected.name instanceof RegExp && !expected.name.test(span.name)) return false;
  for (const [key, value] of Object.entries(expected.attributes ?? {}))
    if (span.attributes[key] !== value) return false;
  return true;
}

function describe(expected: SpanExpectation): string {
  return JSON.stringify({ ...expected, name: expected.name?.toString() });
}

function listing(spans: readonly StoredSpan[]): string {
  return spans.map((s) => `  ${s.service} ${s.kind} ${s.name}`).join('\n');
}

/** The spans of `traceId` that matched each expectation, in order; undefined while one is missing. */
export function findSpans(
  spans: readonly StoredSpan[],
  expectations: readonly SpanExpectation[],
): StoredSpan[] | undefined {
  const found: StoredSpan[] = [];
  for (const expected of expectations) {
    const span = spans.find((s) => matches(s, expected));
    if (!span) return undefined;
    found.push(span);
  }
  return found;
}

/**
 * Waits until the process's span store holds spans of `traceId` matching every expectation
 * (spans end asynchronously: a consumer's after the request answered), then checks the trace
 * is one tree: every span's parent is in the trace, except for the one root (whose parent may
 * be the test's own, never-recorded span). Resolves with the matched spans, in order.
 */
export async function expectTrace(
  traceId: string,
  expectations: readonly SpanExpectation[],
  timeoutMs = 10_000,
): Promise<{ matched: StoredSpan[]; spans: StoredSpan[] }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = spanStore().spans(traceId);
    const matched = findSpans(spans, expectations);
    if (matched) {
      const ids = new Set(spans.map((s) => s.spanId));
      const orphans = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
      const externalParents = new Set(orphans.map((s) => s.parentSpanId ?? 'none'));
      if (externalParents.size === 1) return { matched, spans };
      // A span is stored when it ends: a parent still open (a transaction, a batch) leaves its
      // children looking orphaned for a moment. Only at the deadline is that a broken tree.
      if (Date.now() > deadline) {
        throw new Error(
          `trace ${traceId} is not one tree: ${orphans.length} spans have no parent in it:\n${listing(orphans)}`,
        );
      }
    }
    if (!matched && Date.now() > deadline) {
      const missing = expectations.filter((e) => !findSpans(spans, [e]));
      throw new Error(
        `trace ${traceId} lacks ${missing.map(describe).join(', ')} after ${timeoutMs} ms; it has:\n${listing(spans)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True when `ancestor` is `span`'s parent, grandparent, ... within `spans`. */
export function isDescendant(
  spans: readonly StoredSpan[],
  span: StoredSpan,
  ancestor: StoredSpan,
): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let at = span.parentSpanId; at; at = byId.get(at)?.parentSpanId)
    if (at === ancestor.spanId) return true;
  return false;
}
