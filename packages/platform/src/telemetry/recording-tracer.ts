import {
  type Context,
  context as contextApi,
  INVALID_SPAN_CONTEXT,
  isSpanContextValid,
  type Span,
  type SpanContext,
  SpanKind,
  type SpanOptions,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { type InstrumentationScope, isTracingSuppressed } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { IdGenerator, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { withActiveSpan } from './linked-context.ts';
import { RecordedSpan, validAttributes } from './recorded-span.ts';

export interface RecordingTracerOptions {
  resource: Resource;
  scope: InstrumentationScope;
  /** Share of new traces recorded (parent-based: a span with a parent follows its decision). */
  ratio: number;
  ids: IdGenerator;
  processor: SpanProcessor;
}

/**
 * The SDK's parent-based trace-id-ratio decision: a span with a valid parent is recorded when
 * the parent was sampled; a new trace when the XOR of its trace id's 32-bit words falls below
 * `ratio` of the range, so every service decides the same for one trace id.
 */
export function samples(ratio: number, traceId: string, parent: SpanContext | undefined): boolean {
  if (parent) return (parent.traceFlags & TraceFlags.SAMPLED) !== 0;
  if (!(ratio > 0)) return false;
  if (ratio >= 1) return true;
  let accumulated = 0;
  for (let i = 0; i < traceId.length; i += 8)
    accumulated = (accumulated ^ Number.parseInt(traceId.slice(i, i + 8), 16)) >>> 0;
  return accumulated < Math.floor(ratio * 0xffffffff);
}

/**
 * The SDK tracer's `startSpan`, handing spans to the SDK's processors (the span store, the
 * OTLP batch exporter), but making `RecordedSpan`s: the SDK's own span costs several times
 * more per request (attribute checks that list every key on each write, `HrTime` arrays for
 * every time, a metrics callback per span).
 */
export class RecordingTracer implements Tracer {
  readonly #options: RecordingTracerOptions;

  constructor(options: RecordingTracerOptions) {
    this.#options = options;
  }

  startSpan(name: string, options: SpanOptions = {}, context = contextApi.active()): Span {
    const parentContext = options.root ? trace.deleteSpan(context) : context;
    if (isTracingSuppressed(parentContext)) return trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
    const { ids, ratio } = this.#options;
    const parent = trace.getSpanContext(parentContext);
    const validParent = parent && isSpanContextValid(parent) ? parent : undefined;
    const traceId = validParent ? validParent.traceId : ids.generateTraceId();
    const spanContext: SpanContext = {
      traceId,
      spanId: ids.generateSpanId(),
      traceFlags: TraceFlags.SAMPLED,
      traceState: validParent?.traceState,
    };
    if (!samples(ratio, traceId, validParent))
      return trace.wrapSpanContext({ ...spanContext, traceFlags: TraceFlags.NONE });
    const span = new RecordedSpan({
      name,
      kind: options.kind ?? SpanKind.INTERNAL,
      spanContext,
      parentSpanContext: validParent,
      attributes: validAttributes(options.attributes),
      links: options.links ?? [],
      resource: this.#options.resource,
      scope: this.#options.scope,
      processor: this.#options.processor,
      startTime: options.startTime,
    });
    this.#options.processor.onStart(span, parentContext);
    return span;
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, fn: F): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    options: SpanOptions,
    context: Context,
    fn: F,
  ): ReturnType<F>;
  startActiveSpan<F extends (span: Span) => unknown>(
    name: string,
    ...rest: [F] | [SpanOptions, F] | [SpanOptions, Context, F]
  ): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = rest.length > 1 ? (rest[0] as SpanOptions) : undefined;
    const parent = rest.length > 2 ? (rest[1] as Context) : contextApi.active();
    const span = this.startSpan(name, options, parent);
    return contextApi.with(withActiveSpan(parent, span), () => fn(span)) as ReturnType<F>;
  }
}
