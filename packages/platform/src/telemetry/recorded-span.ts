import {
  type Attributes,
  type AttributeValue,
  diag,
  type Exception,
  type HrTime,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  SpanStatusCode,
  type TimeInput,
} from '@opentelemetry/api';
import { type InstrumentationScope, isAttributeValue } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor, TimedEvent } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_EXCEPTION_MESSAGE,
  ATTR_EXCEPTION_STACKTRACE,
  ATTR_EXCEPTION_TYPE,
} from '@opentelemetry/semantic-conventions';

// The SDK's default span limits (OTEL_SPAN_*_COUNT_LIMIT): a runaway loop cannot grow a span
// without bound.
const ATTRIBUTE_COUNT_LIMIT = 128;
const EVENT_COUNT_LIMIT = 128;
const LINK_COUNT_LIMIT = 128;

const UNSET: SpanStatus = Object.freeze({ code: SpanStatusCode.UNSET });
// Frozen: a span shares it until its first event or link, then gets an array of its own.
const NONE = Object.freeze([]) as never[];

/**
 * Copies the valid entries of `attributes`: an invalid value is dropped, and so is an empty
 * one, as the SDK's span does with what its tracer's `sanitizeAttributes` keeps.
 */
export function validAttributes(attributes: Attributes | undefined): Attributes {
  const valid: Attributes = {};
  if (!attributes) return valid;
  for (const key in attributes) {
    const value = attributes[key];
    if (key.length > 0 && value != null && isAttributeValue(value)) valid[key] = value;
  }
  return valid;
}

const hrTimeOf = (epochMs: number): HrTime => {
  const seconds = Math.floor(epochMs / 1000);
  return [seconds, Math.round((epochMs - seconds * 1000) * 1e6)];
};

export interface RecordedSpanInit {
  name: string;
  kind: SpanKind;
  spanContext: SpanContext;
  parentSpanContext: SpanContext | undefined;
  attributes: Attributes;
  links: Link[];
  resource: Resource;
  scope: InstrumentationScope;
  processor: SpanProcessor;
  startTime: TimeInput | undefined;
}

/**
 * A recorded span, both the API's `Span` (what code writes to) and the SDK's `ReadableSpan`
 * (what span processors and the OTLP exporter read). It does the SDK span's job with less work
 * on the path every request takes: times are kept as milliseconds and turned into `HrTime`
 * only when a processor reads them, attributes given at the start are taken in one pass, and a
 * span with no events, links or status shares one empty value for each.
 */
export class RecordedSpan implements Span, ReadableSpan {
  name: string;
  readonly kind: SpanKind;
  readonly parentSpanContext: SpanContext | undefined;
  readonly attributes: Attributes;
  links: Link[];
  events: TimedEvent[];
  status: SpanStatus = UNSET;
  readonly resource: Resource;
  readonly instrumentationScope: InstrumentationScope;
  droppedAttributesCount = 0;
  droppedEventsCount = 0;
  droppedLinksCount = 0;
  ended = false;
  readonly #spanContext: SpanContext;
  readonly #processor: SpanProcessor;
  #attributeCount: number;
  // Wall-clock start (epoch ms) and the monotonic clock at that moment: an end or an event
  // time is the start plus monotonic elapsed time, so a clock step cannot make it negative.
  readonly #startEpochMs: number;
  readonly #startMonotonicMs: number;
  #endEpochMs = 0;

  constructor(init: RecordedSpanInit) {
    this.name = init.name;
    this.kind = init.kind;
    this.#spanContext = init.spanContext;
    this.parentSpanContext = init.parentSpanContext;
    this.attributes = init.attributes;
    this.#attributeCount = Object.keys(init.attributes).length;
    this.links = init.links.length > 0 ? init.links.slice(0, LINK_COUNT_LIMIT) : NONE;
    this.droppedLinksCount = Math.max(0, init.links.length - LINK_COUNT_LIMIT);
    this.events = NONE;
    this.resource = init.resource;
    this.instrumentationScope = init.scope;
    this.#processor = init.processor;
    this.#startMonotonicMs = performance.now();
    this.#startEpochMs =
      init.startTime === undefined ? Date.now() : this.#epochMsOf(init.startTime, Date.now());
  }

  spanContext(): SpanContext {
    return this.#spanContext;
  }

  get startTime(): HrTime {
    return hrTimeOf(this.#startEpochMs);
  }

  get endTime(): HrTime {
    return this.ended ? hrTimeOf(this.#endEpochMs) : [0, 0];
  }

  get duration(): HrTime {
    if (!this.ended) return [-1, -1];
    const ms = this.#endEpochMs - this.#startEpochMs;
    const seconds = Math.floor(ms / 1000);
    return [seconds, Math.round((ms - seconds * 1000) * 1e6)];
  }

  /** `TimeInput` as epoch ms; `undefined` is now (the start plus monotonic elapsed time). */
  #epochMsOf(time: TimeInput | undefined, startEpochMs = this.#startEpochMs): number {
    if (time === undefined) return startEpochMs + (performance.now() - this.#startMonotonicMs);
    if (typeof time === 'number')
      // The SDK's rule: a number not past the monotonic clock is a `performance.now()` value.
      return time <= performance.now() ? startEpochMs + (time - this.#startMonotonicMs) : time;
    if (time instanceof Date) return time.getTime();
    return time[0] * 1000 + time[1] / 1e6;
  }

  #isEnded(operation: string): boolean {
    if (this.ended)
      diag.warn(
        `Cannot ${operation} on ended span ${this.#spanContext.traceId}-${this.#spanContext.spanId}`,
      );
    return this.ended;
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (value == null || key.length === 0 || this.#isEnded('set an attribute')) return this;
    if (!isAttributeValue(value)) {
      diag.warn(`Invalid attribute value set for key: ${key}`);
      return this;
    }
    if (!Object.hasOwn(this.attributes, key)) {
      if (this.#attributeCount >= ATTRIBUTE_COUNT_LIMIT) {
        this.droppedAttributesCount++;
        return this;
      }
      this.#attributeCount++;
    }
    this.attributes[key] = value;
    return this;
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key]);
    return this;
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#isEnded('add an event')) return this;
    const isTime =
      typeof attributesOrTime === 'number' ||
      attributesOrTime instanceof Date ||
      Array.isArray(attributesOrTime);
    const at = isTime ? (time ?? (attributesOrTime as TimeInput)) : time;
    const attributes = isTime ? undefined : (attributesOrTime as Attributes | undefined);
    if (this.events === NONE) this.events = [];
    if (this.events.length >= EVENT_COUNT_LIMIT) {
      this.events.shift();
      this.droppedEventsCount++;
    }
    this.events.push({
      name,
      attributes: validAttributes(attributes),
      time: hrTimeOf(this.#epochMsOf(at)),
      droppedAttributesCount: 0,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.#isEnded('add a link')) return this;
    if (this.links === NONE) this.links = [];
    if (this.links.length >= LINK_COUNT_LIMIT) {
      this.links.shift();
      this.droppedLinksCount++;
    }
    this.links.push(
      link.attributes
        ? { context: link.context, attributes: validAttributes(link.attributes) }
        : { context: link.context },
    );
    return this;
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.#isEnded('set the status')) return this;
    // As the SDK: UNSET changes nothing and OK is final.
    if (status.code === SpanStatusCode.UNSET || this.status.code === SpanStatusCode.OK) return this;
    this.status =
      status.code === SpanStatusCode.ERROR && typeof status.message === 'string'
        ? { code: status.code, message: status.message }
        : { code: status.code };
    return this;
  }

  updateName(name: string): this {
    if (!this.#isEnded('rename')) this.name = name;
    return this;
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      diag.error(
        `${this.name} ${this.#spanContext.traceId}-${this.#spanContext.spanId} - You can only call end() on a span once.`,
      );
      return;
    }
    this.#endEpochMs = Math.max(this.#startEpochMs, this.#epochMsOf(endTime));
    this.ended = true;
    this.#processor.onEnd(this);
  }

  isRecording(): boolean {
    return !this.ended;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') attributes[ATTR_EXCEPTION_MESSAGE] = exception;
    else if (exception) {
      const type = exception.code ? String(exception.code) : exception.name;
      if (type) attributes[ATTR_EXCEPTION_TYPE] = type;
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message;
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack;
    }
    if (attributes[ATTR_EXCEPTION_TYPE] || attributes[ATTR_EXCEPTION_MESSAGE])
      this.addEvent('exception', attributes, time);
    else diag.warn(`Failed to record an exception ${String(exception)}`);
  }
}
