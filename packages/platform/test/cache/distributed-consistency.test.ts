import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { needs } from '../../src/testing/index.ts';
import { distributedCache, FakeTable, inspector, uniqueService } from './support.ts';

// Two caches on one Redis stand for two instances of one service.
describe('distributed cache across instances', { skip: needs('redis') }, () => {
  test('after B invalidates, A never serves the old value (many interleavings)', async () => {
    const service = uniqueService();
    inspector(service);
    const a = await distributedCache(service);
    const b = await distributedCache(service);
    const instances = [a, b];
    const row = new FakeTable(0);
    const pick = <T>(items: T[]) => items[Math.floor(Math.random() * items.length)]!;

    for (let write = 1; write <= 150; write++) {
      // Reads already running when the write lands: they may answer either value.
      const inFlight = Array.from({ length: Math.floor(Math.random() * 3) }, () =>
        pick(instances).get('todo', row.loader(Math.floor(Math.random() * 4))),
      );
      if (Math.random() < 0.5) await sleep(Math.random() * 2);
      row.value = write;
      await pick(instances).invalidate('todo');
      // The write is acknowledged: from here on, every instance answers the new row.
      for (const instance of [pick(instances), a, b]) {
        assert.equal(await instance.get('todo', row.loader(Math.floor(Math.random() * 2))), write);
      }
      for (const answer of await Promise.all(inFlight)) {
        assert.ok(answer === write || answer === write - 1, `in-flight read answered ${answer}`);
      }
    }
  });

  test('a load that an invalidation overtakes never writes its old value into L2', async () => {
    const service = uniqueService();
    const redis = inspector(service);
    const a = await distributedCache(service);
    const b = await distributedCache(service);
    const row = new FakeTable('old');

    const slow = a.get('todo', row.loader(100));
    await sleep(20);
    row.value = 'new';
    await b.invalidate('todo');
    assert.equal(await slow, 'old', 'began before the write');
    assert.equal(
      await redis.getBuffer(`lattice:${service}:d:todo`),
      null,
      'the old load was not stored',
    );
    assert.equal(await a.get('todo', row.loader()), 'new');
    assert.equal(await b.get('todo', row.loader()), 'new');
  });

  test('a get after the invalidation does not join a lookup that began before it', async () => {
    const service = uniqueService();
    inspector(service);
    const a = await distributedCache(service);
    const b = await distributedCache(service);
    const row = new FakeTable('old');

    const slow = a.get('todo', row.loader(80));
    await sleep(10);
    row.value = 'new';
    await b.invalidate('todo');
    // Without detaching, this get would share the slow lookup and answer 'old'.
    assert.equal(await a.get('todo', row.loader()), 'new');
    await slow;
    assert.equal(await a.get('todo', row.loader()), 'new', 'the old lookup did not fill L1 either');
  });

  test('a version lost by Redis (expiry, eviction, restart) costs a reload, never a stale read', async () => {
    const service = uniqueService();
    const redis = inspector(service);
    const a = await distributedCache(service);
    const row = new FakeTable('old');
    await a.get('todo', row.loader());
    // What a Redis restart without persistence does to every key.
    await redis.del(`lattice:${service}:v:todo`, `lattice:${service}:d:todo`);
    row.value = 'new';
    assert.equal(
      await a.get('todo', row.loader()),
      'new',
      'L1 was not trusted without its version',
    );
  });

  test('ten concurrent gets of a cold key on one instance share one load', async () => {
    const service = uniqueService();
    inspector(service);
    const a = await distributedCache(service);
    const row = new FakeTable({ id: 1 });
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => a.get('todo', row.loader(30))),
    );
    assert.equal(row.loads, 1);
    for (const answer of answers) assert.deepEqual(answer, { id: 1 });
  });
});
