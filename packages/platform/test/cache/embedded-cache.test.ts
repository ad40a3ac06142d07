import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createCache } from '../../src/cache/index.ts';
import { countingMetrics, FakeTable } from './support.ts';

function embedded(l1 = { max: 100, ttlMs: 60_000 }, metrics = countingMetrics()) {
  return createCache({ service: 'todos', mode: 'embedded', l1, l2TtlMs: 60_000, metrics });
}

describe('embedded cache', () => {
  test('a second get is served from L1 without loading', async () => {
    const metrics = countingMetrics();
    const cache = embedded(undefined, metrics);
    const row = new FakeTable({ title: 'first' });
    assert.deepEqual(await cache.get('todo:1', row.loader()), { title: 'first' });
    assert.deepEqual(await cache.get('todo:1', row.loader()), { title: 'first' });
    assert.equal(row.loads, 1);
    assert.deepEqual(metrics.counts.l1, { hit: 1, miss: 1 });
  });

  test('an entry older than its TTL is loaded again', async () => {
    const cache = embedded({ max: 100, ttlMs: 30 });
    const row = new FakeTable('v1');
    await cache.get('k', row.loader());
    row.value = 'v2';
    await sleep(60);
    assert.equal(await cache.get('k', row.loader()), 'v2');
    assert.equal(row.loads, 2);
  });

  test('a per-call ttlMs replaces the configured TTL', async () => {
    const cache = embedded({ max: 100, ttlMs: 60_000 });
    const row = new FakeTable('v1');
    await cache.get('k', row.loader(), { ttlMs: 20 });
    row.value = 'v2';
    await sleep(50);
    assert.equal(await cache.get('k', row.loader()), 'v2');
  });

  test('invalidate makes the next get load the new value at once', async () => {
    const cache = embedded();
    const row = new FakeTable('old');
    await cache.get('k', row.loader());
    row.value = 'new';
    await cache.invalidate('k');
    assert.equal(await cache.get('k', row.loader()), 'new');
  });

  test('a load overtaken by an invalidation is answered but never cached', async () => {
    const cache = embedded();
    const row = new FakeTable('old');
    const slow = cache.get('k', row.loader(50));
    await sleep(10);
    row.value = 'new';
    await cache.invalidate('k');
    assert.equal(
      await cache.get('k', row.loader()),
      'new',
      'a get after the write does not join the old load',
    );
    assert.equal(await slow, 'old', 'the get that began before the write may see the old row');
    assert.equal(await cache.get('k', row.loader()), 'new');
  });

  test('the least recently used entry makes room beyond l1.max', async () => {
    const cache = embedded({ max: 2, ttlMs: 60_000 });
    const row = new FakeTable(1);
    await cache.get('a', row.loader());
    await cache.get('b', row.loader());
    await cache.get('a', row.loader());
    await cache.get('c', row.loader());
    assert.equal(row.loads, 3);
    await cache.get('a', row.loader());
    assert.equal(row.loads, 3, 'a was used recently and stayed');
    await cache.get('b', row.loader());
    assert.equal(row.loads, 4, 'b was evicted');
  });

  test('undefined is not cached; null is', async () => {
    const cache = embedded();
    const missing = new FakeTable<string | undefined>(undefined);
    assert.equal(await cache.get('gone', missing.loader()), undefined);
    assert.equal(await cache.get('gone', missing.loader()), undefined);
    assert.equal(missing.loads, 2);
    const empty = new FakeTable<null>(null);
    await cache.get('empty', empty.loader());
    assert.equal(await cache.get('empty', empty.loader()), null);
    assert.equal(empty.loads, 1);
  });

  test('ten concurrent gets of a cold key share one load', async () => {
    const cache = embedded();
    const row = new FakeTable({ n: 1 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => cache.get('k', row.loader(20))),
    );
    assert.equal(row.loads, 1);
    for (const answer of answers) assert.deepEqual(answer, { n: 1 });
    assert.notEqual(answers[0], answers[1], 'each caller gets its own copy');
  });

  test('a failed load reaches every waiting caller and caches nothing', async () => {
    const cache = embedded();
    let calls = 0;
    const failing = async () => {
      calls++;
      await sleep(10);
      throw new Error('database down');
    };
    const results = await Promise.allSettled([cache.get('k', failing), cache.get('k', failing)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal(calls, 1);
    assert.equal(await cache.get('k', async () => 'back'), 'back');
  });

  test('answers are JSON copies: mutating one does not change the cache, dates read as strings', async () => {
    const cache = embedded();
    const at = new Date('2025-01-02T03:04:05.000Z');
    const first = await cache.get('k', async () => ({ tags: ['a'], at }));
    assert.deepEqual(
      first,
      { tags: ['a'], at: at.toISOString() },
      'the load path has the cached shape too',
    );
    first!.tags.push('mutated');
    assert.deepEqual(await cache.get('k', async () => undefined), {
      tags: ['a'],
      at: at.toISOString(),
    });
  });

  test('health is up and close empties the cache', async () => {
    const cache = embedded();
    assert.deepEqual(await cache.health(), { status: 'up' });
    const row = new FakeTable('v');
    await cache.get('k', row.loader());
    await cache.close();
    await cache.get('k', row.loader());
    assert.equal(row.loads, 2);
  });

  test('a service name that could collide with another namespace is refused', () => {
    assert.throws(
      () =>
        createCache({
          service: 'a:d',
          mode: 'distributed',
          redisUrl: 'redis://x',
          l1: { max: 1, ttlMs: 1 },
          l2TtlMs: 1,
        }),
      /service name/,
    );
    assert.throws(
      () =>
        createCache({
          service: 'todos',
          mode: 'distributed',
          l1: { max: 1, ttlMs: 1 },
          l2TtlMs: 1,
        }),
      /redisUrl/,
    );
  });
});
