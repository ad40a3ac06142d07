import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createContextKey, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { LinkedContext, withActiveSpan } from '../../src/telemetry/linked-context.ts';

const span = trace.wrapSpanContext({
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: 1,
});

test('a span set by withActiveSpan is what the API finds, and the parent keeps its values', () => {
  const key = createContextKey('tenant');
  const parent = ROOT_CONTEXT.setValue(key, 'acme');
  const active = withActiveSpan(parent, span);
  assert.equal(trace.getSpan(active), span);
  assert.equal(active.getValue(key), 'acme', 'values of the parent are seen through');
  assert.equal(trace.getSpan(parent), undefined, 'the parent is not changed');
});

test('set and delete make new contexts: the older ones keep what they had', () => {
  const a = createContextKey('a');
  const b = createContextKey('b');
  const first = new LinkedContext(ROOT_CONTEXT, a, 1);
  const second = first.setValue(b, 2);
  const third = second.deleteValue(a);
  const fourth = third.setValue(a, 4);
  assert.deepEqual([first.getValue(a), first.getValue(b)], [1, undefined]);
  assert.deepEqual([second.getValue(a), second.getValue(b)], [1, 2]);
  assert.deepEqual([third.getValue(a), third.getValue(b)], [undefined, 2]);
  assert.deepEqual([fourth.getValue(a), fourth.getValue(b)], [4, 2]);
});

test('a long chain folds into one map and still answers as the chain did', () => {
  const keys = Array.from({ length: 30 }, (_, i) => createContextKey(`k${i}`));
  const rootKey = createContextKey('root');
  let context = withActiveSpan(ROOT_CONTEXT.setValue(rootKey, 'r'), span);
  for (let round = 0; round < 3; round++)
    for (const [i, key] of keys.entries()) context = context.setValue(key, round * 100 + i);
  context = context.deleteValue(keys[5]!);
  for (const [i, key] of keys.entries())
    assert.equal(context.getValue(key), i === 5 ? undefined : 200 + i);
  assert.equal(context.getValue(rootKey), 'r');
  assert.equal(trace.getSpan(context), span);
});
