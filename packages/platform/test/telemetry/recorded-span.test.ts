import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  context,
  ROOT_CONTEXT,
  SamplingDecision,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
} from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  type ReadableSpan,
  type SpanProcessor,
  TraceIdRatioBasedSampler,
} from '@opentelemetry/sdk-trace-base';
import { randomHex } from '../../src/random-ids.ts';
import { RecordedSpan } from '../../src/telemetry/recorded-span.ts';
import { RecordingTracer, samples } from '../../src/telemetry/recording-tracer.ts';
import { serviceTracing } from '../../src/telemetry/tracing.ts';

function recordingTracer(ratio = 1) {
  const started: ReadableSpan[] = [];
  const ended: ReadableSpan[] = [];
  const processor: SpanProcessor = {
    onStart: (span) => started.push(span as unknown as ReadableSpan),
    onEnd: (span) => ended.push(span),
    forceFlush: async () => {},
    shutdown: async () => {},
  };
  const tracer = new RecordingTracer({
    resource: resourceFromAttributes({ 'service.name': 'svc' }),
    scope: { name: 'test' },
    ratio,
    ids: { generateTraceId: () => randomHex(16), generateSpanId: () => randomHex(8) },
    processor,
  });
  return { tracer, started, ended };
}

const hrMs = ([seconds, nanos]: [number, number]) => seconds * 1000 + nanos / 1e6;

test('a recorded span reads as the SDK span would: times, attributes, events, status, kind, parent', async () => {
  const { tracer, started, ended } = recordingTracer();
  const before = Date.now();
  const parent = tracer.startSpan('parent');
  const span = tracer.startSpan(
    'child',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        kept: 'yes',
        count: 3,
        list: ['a', 'b'],
        mixed: ['a', 1] as never,
        empty: undefined,
      },
    },
    trace.setSpan(ROOT_CONTEXT, parent),
  );
  assert.equal(started.length, 2, 'processors see each span start');
  assert.ok(span instanceof RecordedSpan);
  span.setAttribute('later', true);
  span.setAttribute('bad', { nested: 1 } as never);
  span.recordException(Object.assign(new Error('card declined'), { code: 'E_DECLINED' }));
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'declined' });
  await sleep(15);
  span.end();
  span.end(); // a second end changes nothing and is not reported again
  span.setAttribute('after-end', 1);
  parent.end();
  const after = Date.now();

  assert.equal(ended.length, 2);
  const read = ended[0]!;
  assert.equal(read, span);
  assert.equal(read.name, 'child');
  assert.equal(read.kind, SpanKind.CLIENT);
  assert.equal(read.ended, true);
  assert.equal(span.isRecording(), false);
  assert.deepEqual(read.attributes, { kept: 'yes', count: 3, list: ['a', 'b'], later: true });
  assert.equal(read.parentSpanContext?.spanId, parent.spanContext().spanId);
  assert.equal(read.spanContext().traceId, parent.spanContext().traceId);
  assert.equal(read.spanContext().traceFlags, TraceFlags.SAMPLED);
  assert.equal(read.resource.attributes['service.name'], 'svc');
  assert.deepEqual(read.status, { code: SpanStatusCode.ERROR, message: 'declined' });
  assert.equal(read.events.length, 1);
  assert.equal(read.events[0]!.name, 'exception');
  assert.equal(read.events[0]!.attributes?.['exception.type'], 'E_DECLINED');
  assert.equal(read.events[0]!.attributes?.['exception.message'], 'card declined');

  const start = hrMs(read.startTime);
  const end = hrMs(read.endTime);
  assert.ok(start >= before - 1 && end <= after + 1, `${start}..${end} within ${before}..${after}`);
  assert.ok(end - start >= 14, `ended ${end - start} ms after the start`);
  assert.ok(Math.abs(hrMs(read.duration) - (end - start)) < 0.01);
  for (const time of [read.startTime, read.endTime, read.duration])
    assert.ok(Number.isInteger(time[0]) && Number.isInteger(time[1]) && time[1] < 1e9);
});

test('status: UNSET changes nothing and OK is final, as in the SDK', () => {
  const { tracer } = recordingTracer();
  const span = tracer.startSpan('s') as RecordedSpan;
  span.setStatus({ code: SpanStatusCode.UNSET });
  assert.equal(span.status.code, SpanStatusCode.UNSET);
  span.setStatus({ code: SpanStatusCode.OK, message: 'ignored for OK' });
  assert.deepEqual(span.status, { code: SpanStatusCode.OK });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
  assert.deepEqual(span.status, { code: SpanStatusCode.OK });
});

test('limits: at most 128 attributes and 128 events per span, the rest counted as dropped', () => {
  const { tracer } = recordingTracer();
  const span = tracer.startSpan('busy') as RecordedSpan;
  for (let i = 0; i < 130; i++) span.setAttribute(`a${i}`, i);
  span.setAttribute('a0', 'overwritten');
  for (let i = 0; i < 130; i++) span.addEvent(`e${i}`);
  assert.equal(Object.keys(span.attributes).length, 128);
  assert.equal(span.attributes.a0, 'overwritten');
  assert.equal(span.droppedAttributesCount, 2);
  assert.equal(span.events.length, 128);
  assert.equal(span.events[0]!.name, 'e2', 'the oldest events make room');
  assert.equal(span.droppedEventsCount, 2);
});

test('links and events start shared and empty, and each span gets its own on first write', () => {
  const { tracer } = recordingTracer();
  const a = tracer.startSpan('a') as RecordedSpan;
  const b = tracer.startSpan('b') as RecordedSpan;
  a.addLink({ context: b.spanContext(), attributes: { why: 'batch' } });
  a.addEvent('e', { n: 1 });
  assert.equal(a.links.length, 1);
  assert.equal(a.events.length, 1);
  assert.equal(b.links.length, 0);
  assert.equal(b.events.length, 0);
  assert.deepEqual(a.links[0]!.attributes, { why: 'batch' });
});

test('sampling is parent-based: a parent decides for its children, a new trace by the ratio', () => {
  const sampledParent: SpanContext = {
    traceId: randomHex(16),
    spanId: randomHex(8),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  };
  const unsampledParent = { ...sampledParent, traceFlags: TraceFlags.NONE };
  const none = recordingTracer(0);
  const root = none.tracer.startSpan('root');
  assert.equal(root.isRecording(), false);
  assert.equal(root.spanContext().traceFlags, TraceFlags.NONE);
  const child = none.tracer.startSpan(
    'child',
    {},
    trace.setSpanContext(ROOT_CONTEXT, sampledParent),
  );
  assert.equal(child.isRecording(), true, 'a sampled caller is followed whatever the ratio');
  assert.equal(child.spanContext().traceId, sampledParent.traceId);
  const all = recordingTracer(1);
  const skipped = all.tracer.startSpan(
    'child',
    {},
    trace.setSpanContext(ROOT_CONTEXT, unsampledParent),
  );
  assert.equal(skipped.isRecording(), false, 'an unsampled caller is followed too');
  assert.equal(skipped.spanContext().traceId, unsampledParent.traceId);
  assert.equal(none.ended.length + all.ended.length, 0);
  assert.equal(
    all.tracer.startSpan('quiet', {}, suppressTracing(ROOT_CONTEXT)).isRecording(),
    false,
    'suppressed tracing makes no span',
  );
});

test("a new trace's decision at a ratio equals the SDK's TraceIdRatioBasedSampler for the same id", () => {
  for (const ratio of [0.1, 0.5, 0.9]) {
    const sdk = new TraceIdRatioBasedSampler(ratio);
    let recorded = 0;
    for (let i = 0; i < 2000; i++) {
      const traceId = randomHex(16);
      const expected =
        sdk.shouldSample(ROOT_CONTEXT, traceId).decision === SamplingDecision.RECORD_AND_SAMPLED;
      assert.equal(samples(ratio, traceId, undefined), expected, `${ratio} ${traceId}`);
      if (expected) recorded++;
    }
    assert.ok(Math.abs(recorded / 2000 - ratio) < 0.06, `ratio ${ratio}: ${recorded}/2000`);
  }
});

test('startActiveSpan makes the span active for its callback only', () => {
  // Installs the process's context manager, as every service with tracing on does.
  serviceTracing('recorded-span-test', undefined, {
    TRACING_ENABLED: true,
    OTEL_TRACES_SAMPLER_ARG: 1,
    OTEL_EXPORTER_OTLP_ENDPOINT: '',
    TRACES_KEPT: 0,
  });
  const { tracer } = recordingTracer();
  const result = tracer.startActiveSpan('active', (span) => {
    assert.equal(trace.getActiveSpan(), span);
    span.end();
    return 42;
  });
  assert.equal(result, 42);
  assert.equal(trace.getActiveSpan(), undefined);
  assert.equal(context.active(), ROOT_CONTEXT);
});
