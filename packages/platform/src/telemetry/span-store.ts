import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** One finished span as the ops routes and tests see it. */
export interface StoredSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  service: string;
  /** Epoch milliseconds (fractional). */
  startMs: number;
  durationMs: number;
  status: 'unset' | 'ok' | 'error';
  statusMessage?: string;
  attributes: Record<string, unknown>;
  links: Array<{ traceId: string; spanId: string }>;
}

export interface SpanTreeNode extends StoredSpan {
  children: SpanTreeNode[];
}

export interface TraceSummary {
  traceId: string;
  /** The earliest root span: usually the request that started the trace. */
  rootName: string;
  rootService: string;
  startMs: number;
  durationMs: number;
  spanCount: number;
  services: string[];
  errors: number;
}

const KINDS: Record<SpanKind, StoredSpan['kind']> = {
  [SpanKind.INTERNAL]: 'internal',
  [SpanKind.SERVER]: 'server',
  [SpanKind.CLIENT]: 'client',
  [SpanKind.PRODUCER]: 'producer',
  [SpanKind.CONSUMER]: 'consumer',
};
const STATUSES: Record<SpanStatusCode, StoredSpan['status']> = {
  [SpanStatusCode.UNSET]: 'unset',
  [SpanStatusCode.OK]: 'ok',
  [SpanStatusCode.ERROR]: 'error',
};
// A runaway loop inside one trace must not hold the whole store's memory.
const MAX_SPANS_PER_TRACE = 2000;

const hrToMs = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6;

export function toStoredSpan(span: ReadableSpan): StoredSpan {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(parent ? { parentSpanId: parent.spanId } : {}),
    name: span.name,
    kind: KINDS[span.kind],
    service: String(span.resource.attributes['service.name'] ?? 'unknown'),
    startMs: hrToMs(span.startTime),
    durationMs: hrToMs(span.duration),
    status: STATUSES[span.status.code],
    ...(span.status.message ? { statusMessage: span.status.message } : {}),
    attributes: { ...span.attributes },
    links: span.links.map((link) => ({
      traceId: link.context.traceId,
      spanId: link.context.spanId,
    })),
  };
}

/**
 * The last `capacity` traces of this process, in memory: a span processor every service's
 * tracer provider shares, so in embedded mode one store sees every span of every service.
 * A newcomer sees traces at /api/v1/ops/traces with nothing installed.
 */
export class SpanStore implements SpanProcessor {
  #capacity: number;
  // Insertion order is arrival order of each trace's first span: the oldest is evicted first.
  // The SDK's finished spans are kept as they are and converted only when read: ending a span
  // is on every request's path, reading the store is rare.
  readonly #traces = new Map<string, ReadableSpan[]>();
  readonly #listeners = new Set<(span: StoredSpan) => void>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** Several services configure one process's store: the largest wish wins. */
  growTo(capacity: number): void {
    this.#capacity = Math.max(this.#capacity, capacity);
  }

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.#listeners.size > 0) {
      const stored = toStoredSpan(span);
      for (const listener of this.#listeners) listener(stored);
    }
    if (this.#capacity === 0) return;
    const { traceId } = span.spanContext();
    let spans = this.#traces.get(traceId);
    if (!spans) {
      spans = [];
      this.#traces.set(traceId, spans);
      while (this.#traces.size > this.#capacity) {
        const oldest = this.#traces.keys().next().value as string;
        this.#traces.delete(oldest);
      }
    }
    if (spans.length < MAX_SPANS_PER_TRACE) spans.push(span);
  }

  /** Every span that ends from now on, until the returned function is called. */
  subscribe(listener: (span: StoredSpan) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  spans(traceId: string): StoredSpan[] {
    return (this.#traces.get(traceId) ?? []).map(toStoredSpan);
  }

  /** Most recent first. */
  list(limit = 50): TraceSummary[] {
    const ids = [...this.#traces.keys()].reverse().slice(0, limit);
    return ids.map((id) => summarise(id, this.spans(id)));
  }

  tree(traceId: string): SpanTreeNode[] | undefined {
    return this.#traces.has(traceId) ? spanTree(this.spans(traceId)) : undefined;
  }

  clear(): void {
    this.#traces.clear();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/** Roots are spans whose parent is not in the set (the client's span, or one still running). */
export function spanTree(spans: readonly StoredSpan[]): SpanTreeNode[] {
  const nodes = new Map<string, SpanTreeNode>();
  for (const span of spans) nodes.set(span.spanId, { ...span, children: [] });
  const roots: SpanTreeNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.parentSpanId ? nodes.get(node.parentSpanId) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  const byStart = (a: SpanTreeNode, b: SpanTreeNode) => a.startMs - b.startMs;
  for (const node of nodes.values()) node.children.sort(byStart);
  return roots.sort(byStart);
}

function summarise(traceId: string, spans: StoredSpan[]): TraceSummary {
  const roots = spanTree(spans);
  const root = roots[0];
  const start = Math.min(...spans.map((s) => s.startMs));
  const end = Math.max(...spans.map((s) => s.startMs + s.durationMs));
  return {
    traceId,
    rootName: root?.name ?? '',
    rootService: root?.service ?? '',
    startMs: start,
    durationMs: end - start,
    spanCount: spans.length,
    services: [...new Set(spans.map((s) => s.service))].sort(),
    errors: spans.filter((s) => s.status === 'error').length,
  };
}
