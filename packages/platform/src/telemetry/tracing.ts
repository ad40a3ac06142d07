import {
  type Context,
  context,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type IdGenerator,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { randomHex } from '../random-ids.ts';
import { RecordingTracer } from './recording-tracer.ts';
import { SpanStore } from './span-store.ts';

export interface TracingConfig {
  TRACING_ENABLED: boolean;
  OTEL_TRACES_SAMPLER_ARG: number;
  OTEL_EXPORTER_OTLP_ENDPOINT: string;
  TRACES_KEPT: number;
}

/**
 * Lets the HTTP server hook give a new root span the trace id the request already logs under
 * (`traceIdOf`), so logs, problem+json and the trace agree from the first line. Set and
 * consumed synchronously around `startSpan`, so no other span can take it.
 */
class RequestAwareIdGenerator implements IdGenerator {
  next: string | undefined;

  generateTraceId(): string {
    const id = this.next;
    this.next = undefined;
    return id ?? nonZeroHex(16);
  }

  generateSpanId(): string {
    return nonZeroHex(8);
  }
}

/** W3C Trace Context: an all-zero trace or span id is invalid. */
function nonZeroHex(bytes: number): string {
  for (;;) {
    const id = randomHex(bytes);
    if (!/^0+$/.test(id)) return id;
  }
}

/** What one process shares between its services: the span store, the exporter, the id source. */
class ProcessTracing {
  readonly store = new SpanStore(0);
  readonly ids = new RequestAwareIdGenerator();
  readonly processors: SpanProcessor[] = [this.store];
  // The array is shared: an exporter configured later reaches tracers made earlier.
  readonly #shared = new SharedProcessors(this.processors);
  readonly #tracers = new Map<string, Tracer>();
  readonly #exporters = new Set<string>();
  #registered = false;

  /** The global context manager (AsyncLocalStorage) and W3C propagator, once per process. */
  register(): void {
    if (this.#registered) return;
    this.#registered = true;
    // A provider with no processors: registering it installs the context manager and the
    // propagator; spans are made by each service's own provider (its own service.name).
    const global = new NodeTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'lattice' }),
      idGenerator: this.ids,
      spanProcessors: [this.#shared],
    });
    global.register({ propagator: new W3CTraceContextPropagator() });
  }

  exportTo(endpoint: string): void {
    if (!endpoint || this.#exporters.has(endpoint)) return;
    this.#exporters.add(endpoint);
    const url = `${endpoint.replace(/\/+$/, '')}/v1/traces`;
    this.processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url })));
  }

  tracer(service: string, version: string | undefined, ratio: number): Tracer {
    const key = `${service}\u0000${ratio}`;
    let tracer = this.#tracers.get(key);
    if (!tracer) {
      tracer = new RecordingTracer({
        resource: resourceFromAttributes({
          [ATTR_SERVICE_NAME]: service,
          ...(version ? { [ATTR_SERVICE_VERSION]: version } : {}),
        }),
        scope: { name: '@lattice/platform' },
        // Parent-based: a request whose caller sampled is recorded whatever the local ratio,
        // so a trace is never cut in the middle.
        ratio,
        ids: this.ids,
        processor: this.#shared,
      });
      this.#tracers.set(key, tracer);
    }
    return tracer;
  }

  async flush(): Promise<void> {
    await Promise.all(this.processors.map((p) => p.forceFlush()));
  }
}

/** Forwards to whatever processors the process has now, including ones added later. */
class SharedProcessors implements SpanProcessor {
  readonly #processors: SpanProcessor[];
  constructor(processors: SpanProcessor[]) {
    this.#processors = processors;
  }
  onStart(
    span: Parameters<SpanProcessor['onStart']>[0],
    context: Parameters<SpanProcessor['onStart']>[1],
  ): void {
    for (const p of this.#processors) p.onStart(span, context);
  }
  onEnd(span: Parameters<SpanProcessor['onEnd']>[0]): void {
    for (const p of this.#processors) p.onEnd(span);
  }
  async forceFlush(): Promise<void> {
    await Promise.all(this.#processors.map((p) => p.forceFlush()));
  }
  async shutdown(): Promise<void> {}
}

const processTracing = new ProcessTracing();

/** The process's in-memory trace store (what /api/v1/ops/traces serves, what tests read). */
export function spanStore(): SpanStore {
  return processTracing.store;
}

/** Exports pending spans now (tests, shutdown). */
export function flushSpans(): Promise<void> {
  return processTracing.flush();
}

/** The next root span started synchronously after this call gets `traceId`. */
export function useTraceIdForNextRoot(traceId: string): void {
  processTracing.ids.next = traceId;
}

const noopTracer = trace.getTracerProvider().getTracer('noop');

// One process may host several services (embedded mode): a span made by kit code that does not
// know its service (a database query, an outgoing call) belongs to the service whose span is
// active, found through that span's resource.
const serviceTracers = new Map<string, Tracer>();

/**
 * The active span (or the one of `within`) and the tracer of its service; undefined outside
 * any recorded span.
 */
export function activeSpanAndTracer(
  within?: Context,
): { parent: Span; tracer: Tracer } | undefined {
  const parent = (within ? trace.getSpan(within) : trace.getActiveSpan()) as
    | (Span & { resource?: { attributes: Record<string, unknown> } })
    | undefined;
  if (!parent?.isRecording()) return undefined;
  const tracer = serviceTracers.get(String(parent.resource?.attributes[ATTR_SERVICE_NAME]));
  return tracer ? { parent, tracer } : undefined;
}

/** A service's tracing: its tracer (no-op when tracing is off) and whether spans are recorded. */
export interface ServiceTracing {
  readonly enabled: boolean;
  readonly tracer: Tracer;
  /**
   * Runs `work` in a new span (a child of the active one), ended when `work` settles; a throw
   * marks it failed and is rethrown. For a service's own steps, e.g. a saga's:
   * `await context.tracing.span('saga.reserve-stock', () => reserve(order), { 'order.lines': 3 })`.
   */
  span<T>(
    name: string,
    work: (span: Span) => Promise<T> | T,
    attributes?: Record<string, string | number | boolean>,
  ): Promise<T>;
  /**
   * Like `span`, but a child of a stored W3C `traceparent` instead of the active span: for work
   * picked up later by a background loop (a payment charged by a runner after the event that
   * asked for it), so it stays in the trace of the request that started it.
   */
  resume<T>(
    traceparent: string | null | undefined,
    name: string,
    work: (span: Span) => Promise<T> | T,
    attributes?: Record<string, string | number | boolean>,
  ): Promise<T>;
}

export function serviceTracing(
  service: string,
  version: string | undefined,
  config: TracingConfig,
): ServiceTracing {
  if (!config.TRACING_ENABLED) {
    return {
      enabled: false,
      tracer: noopTracer,
      span: (name, work, attributes) => withSpan(noopTracer, name, work, attributes),
      resume: (_traceparent, name, work, attributes) =>
        withSpan(noopTracer, name, work, attributes),
    };
  }
  processTracing.register();
  processTracing.store.growTo(config.TRACES_KEPT);
  processTracing.exportTo(config.OTEL_EXPORTER_OTLP_ENDPOINT);
  const tracer = processTracing.tracer(service, version, config.OTEL_TRACES_SAMPLER_ARG);
  serviceTracers.set(service, tracer);
  return {
    enabled: true,
    tracer,
    span: (name, work, attributes) => withSpan(tracer, name, work, attributes),
    resume: (traceparent, name, work, attributes) =>
      context.with(
        traceparent ? propagation.extract(ROOT_CONTEXT, { traceparent }) : ROOT_CONTEXT,
        () => withSpan(tracer, name, work, attributes),
      ),
  };
}

/** `tracer.startActiveSpan` with the end, the error status and the exception taken care of. */
export function withSpan<T>(
  tracer: Tracer,
  name: string,
  work: (span: Span) => Promise<T> | T,
  attributes?: Record<string, string | number | boolean>,
): Promise<T> {
  return tracer.startActiveSpan(name, { attributes }, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  });
}
