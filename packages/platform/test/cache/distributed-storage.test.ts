import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { needs } from '../../src/testing/index.ts';
import {
  countingMetrics,
  distributedCache,
  FakeTable,
  inspector,
  uniqueService,
} from './support.ts';

describe('distributed cache storage', { skip: needs('redis') }, () => {
  test('a large value is stored compressed and read back whole by another instance', async () => {
    const service = uniqueService();
    const redis = inspector(service);
    const a = await distributedCache(service);
    const bMetrics = countingMetrics();
    const b = await distributedCache(service, { metrics: bMetrics });
    const todo = {
      title: 'big',
      items: Array.from({ length: 400 }, (_, i) => ({ i, text: `step ${i} of the plan` })),
    };
    const json = JSON.stringify(todo);
    assert.ok(json.length > 10_000);

    await a.get('todo', async () => todo);
    const stored = await redis.getBuffer(`lattice:${service}:d:todo`);
    assert.ok(stored);
    assert.equal(stored[0], 1, 'brotli flag');
    assert.ok(
      stored.length < json.length / 4,
      `${stored.length} stored bytes for ${json.length} of JSON`,
    );

    assert.deepEqual(await b.get('todo', async () => assert.fail('B must read L2')), todo);
    assert.deepEqual(bMetrics.counts.l2, { hit: 1, miss: 0 });
  });

  test('a value under compressAboveBytes is stored as plain JSON', async () => {
    const service = uniqueService();
    const redis = inspector(service);
    const a = await distributedCache(service, { compressAboveBytes: 1024 });
    await a.get('todo', async () => ({ title: 'small' }));
    const stored = (await redis.getBuffer(`lattice:${service}:d:todo`))!;
    assert.equal(stored[0], 0);
    assert.ok(stored.toString('utf8').endsWith('{"title":"small"}'));
  });

  test('hits and misses are counted per tier', async () => {
    const service = uniqueService();
    inspector(service);
    const aMetrics = countingMetrics();
    const bMetrics = countingMetrics();
    const a = await distributedCache(service, { metrics: aMetrics });
    const b = await distributedCache(service, { metrics: bMetrics });
    const row = new FakeTable('v1');

    await a.get('todo', row.loader()); // L1 miss, L2 miss, load
    await a.get('todo', row.loader()); // L1 hit
    await b.get('todo', row.loader()); // L1 miss, L2 hit
    await b.get('todo', row.loader()); // L1 hit
    await b.invalidate('todo');
    await a.get('todo', row.loader()); // L1 stale (miss), L2 miss, load
    assert.deepEqual(aMetrics.counts, {
      l1: { hit: 1, miss: 2 },
      l2: { hit: 0, miss: 2 },
      errors: 0,
    });
    assert.deepEqual(bMetrics.counts, {
      l1: { hit: 1, miss: 1 },
      l2: { hit: 1, miss: 0 },
      errors: 0,
    });
    assert.equal(row.loads, 2);
  });

  test('keys live under lattice:<service>:, so services sharing a Redis never collide', async () => {
    const todos = uniqueService();
    const users = uniqueService();
    const redis = inspector(todos);
    inspector(users);
    const a = await distributedCache(todos, { l2TtlMs: 30_000 });
    const b = await distributedCache(users);
    await a.get('item:1', async () => 'todo');
    assert.equal(await b.get('item:1', async () => 'user'), 'user');
    assert.deepEqual((await redis.keys(`lattice:${todos}:*`)).sort(), [
      `lattice:${todos}:d:item:1`,
      `lattice:${todos}:v:item:1`,
    ]);
    const ttl = await redis.pttl(`lattice:${todos}:d:item:1`);
    assert.ok(ttl > 0 && ttl <= 30_000, `L2 TTL ${ttl}`);
    assert.ok(
      (await redis.pttl(`lattice:${todos}:v:item:1`)) > 30_000,
      'the version outlives its value',
    );
  });

  test('an invalidation publishes an eviction on the service channel', async () => {
    const service = uniqueService();
    const redis = inspector(service);
    const listener = redis.duplicate();
    const heard = new Promise<[string, string]>((resolve) =>
      listener.on('message', (channel: string, message: string) => resolve([channel, message])),
    );
    await listener.subscribe(`lattice:${service}:evict`);
    const a = await distributedCache(service);
    await a.invalidate('todo:7');
    assert.deepEqual(await heard, [`lattice:${service}:evict`, 'todo:7']);
    await listener.quit();
  });
});
