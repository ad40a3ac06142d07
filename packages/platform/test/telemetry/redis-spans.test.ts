import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { createService } from '../../src/create-service.ts';
import { traceRedisCommands } from '../../src/telemetry/redis-spans.ts';
import type { StoredSpan } from '../../src/telemetry/span-store.ts';
import { serviceTracing, spanStore, type TracingConfig } from '../../src/telemetry/tracing.ts';
import {
  expectTrace,
  infrastructure,
  isDescendant,
  needs,
  newTraceparent,
} from '../../src/testing/index.ts';

const redisUrl = infrastructure.find((i) => i.name === 'redis')!.url;
const server = new URL(redisUrl);
const tracingOn: TracingConfig = {
  TRACING_ENABLED: true,
  OTEL_TRACES_SAMPLER_ARG: 1,
  OTEL_EXPORTER_OTLP_ENDPOINT: '',
  TRACES_KEPT: 100,
};

/** Every span that ends while `work` runs, wherever it belongs. */
async function spansDuring(work: () => Promise<unknown>): Promise<StoredSpan[]> {
  const seen: StoredSpan[] = [];
  const stop = spanStore().subscribe((span) => seen.push(span));
  try {
    await work();
    // A span ends in a reply's callback: let any that would follow the last reply arrive.
    await sleep(50);
  } finally {
    stop();
  }
  return seen;
}

describe('Redis commands as CLIENT spans', { skip: needs('redis') }, () => {
  const service = `redis-spans-${randomUUID().slice(0, 8)}`;
  const connectionName = `lattice-test-${service}`;
  const prefix = `lattice:${service}:`;
  const redis = new Redis(redisUrl, { connectionName });
  traceRedisCommands(redis);
  const tracing = serviceTracing(service, undefined, tracingOn);
  after(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  test('a command under a recorded span is its child, named and described without its arguments', async () => {
    const key = `${prefix}greeting`;
    let parent = { traceId: '', spanId: '' };
    const value = await tracing.span('work', async (span) => {
      parent = span.spanContext();
      await redis.set(key, 'private value');
      return redis.get(key);
    });
    assert.equal(value, 'private value');

    const { matched, spans } = await expectTrace(parent.traceId, [
      { service, kind: 'internal', name: 'work' },
      { service, kind: 'client', name: 'SET' },
      { service, kind: 'client', name: 'GET' },
    ]);
    const get = matched[2]!;
    assert.equal(get.parentSpanId, parent.spanId);
    assert.equal(get.status, 'unset');
    assert.deepEqual(get.attributes, {
      'db.system.name': 'redis',
      'db.operation.name': 'GET',
      'db.query.text': 'GET',
      'server.address': server.hostname,
      'server.port': Number(server.port || 6379),
      'lattice.redis.connection': connectionName,
    });
    const stored = JSON.stringify(spans);
    assert.ok(!stored.includes('private value'), 'no value in any span');
    assert.ok(!stored.includes('greeting'), 'no key in any span');
  });

  test('a command outside any span, or under one not sampled, makes no span', async () => {
    const unsampled = serviceTracing(`${service}-unsampled`, undefined, {
      ...tracingOn,
      OTEL_TRACES_SAMPLER_ARG: 0,
    });
    const spans = await spansDuring(async () => {
      await redis.set(`${prefix}quiet`, '1');
      await unsampled.span('unsampled work', () => redis.get(`${prefix}quiet`));
    });
    assert.deepEqual(spans, []);
  });

  test('a failed command is an error span that keeps the kind of the error, not its text', async () => {
    const list = `${prefix}list`;
    await redis.rpush(list, 'a');
    let traceId = '';
    await tracing.span('failing work', async (span) => {
      traceId = span.spanContext().traceId;
      await assert.rejects(redis.incr(list), /^ReplyError: WRONGTYPE/);
      // Redis quotes an unknown command's arguments in its error.
      await assert.rejects(redis.call('NOSUCHCOMMAND', 'private-argument'), /private-argument/);
    });

    const { matched, spans } = await expectTrace(traceId, [
      { service, kind: 'client', name: 'INCR' },
      { service, kind: 'client', name: 'NOSUCHCOMMAND' },
    ]);
    const [incr, unknown] = matched as [StoredSpan, StoredSpan];
    assert.equal(incr.status, 'error');
    assert.equal(incr.statusMessage, 'WRONGTYPE');
    assert.equal(incr.attributes['error.type'], 'WRONGTYPE');
    assert.equal(incr.attributes['db.response.status_code'], 'WRONGTYPE');
    assert.equal(unknown.status, 'error');
    assert.equal(unknown.attributes['error.type'], 'ERR');
    assert.ok(!JSON.stringify(spans).includes('private-argument'), 'no argument in any span');
  });

  test('a defined command is named by the EVAL or EVALSHA that carries it', async () => {
    const scripted = new Redis(redisUrl) as Redis & {
      latticeTestEcho(key: string): Promise<string>;
    };
    after(() => scripted.quit());
    traceRedisCommands(scripted);
    scripted.defineCommand('latticeTestEcho', { numberOfKeys: 1, lua: 'return KEYS[1]' });
    let traceId = '';
    await tracing.span('scripted work', async (span) => {
      traceId = span.spanContext().traceId;
      // A new connection has not loaded the script: EVAL first, EVALSHA after.
      assert.equal(await scripted.latticeTestEcho(`${prefix}a`), `${prefix}a`);
      assert.equal(await scripted.latticeTestEcho(`${prefix}b`), `${prefix}b`);
    });
    const { matched } = await expectTrace(traceId, [
      { service, kind: 'client', name: 'EVAL', attributes: { 'db.query.text': 'EVAL' } },
      { service, kind: 'client', name: 'EVALSHA', attributes: { 'db.operation.name': 'EVALSHA' } },
    ]);
    assert.ok(matched.every((span) => span.status === 'unset'));
  });

  test('commands sent together by auto-pipelining are each a child of the span that queued them', async () => {
    const pipelining = new Redis(redisUrl, { enableAutoPipelining: true });
    after(() => pipelining.quit());
    traceRedisCommands(pipelining);
    await pipelining.ping();
    const parents: Array<{ traceId: string; spanId: string }> = [];
    // Both calls are made in one turn of the event loop: ioredis sends them in one pipeline,
    // from a callback of its own.
    await Promise.all(
      ['first', 'second'].map((name) =>
        tracing.span(`${name} request`, async (span) => {
          parents.push(span.spanContext());
          await pipelining.set(`${prefix}pipelined-${name}`, name);
        }),
      ),
    );
    assert.equal(parents.length, 2);
    for (const parent of parents) {
      const { matched } = await expectTrace(parent.traceId, [
        { service, kind: 'client', name: 'SET' },
      ]);
      assert.equal(matched[0]!.parentSpanId, parent.spanId);
    }
    assert.notEqual(parents[0]!.traceId, parents[1]!.traceId);
  });

  test("a distributed cache read in a request is a Redis span in the request's trace", async () => {
    const name = `redis-traced-${randomUUID().slice(0, 8)}`;
    const instance = await createService(
      {
        name,
        routes(app, context) {
          app.get('/answer', () => context.cache.get('answer', async () => ({ answer: 42 })));
        },
      },
      { env: { LATTICE_MODE: 'distributed', REDIS_URL: redisUrl, LOG_LEVEL: 'error' } },
    );
    after(async () => {
      await instance.close();
      const keys = await redis.keys(`lattice:${name}:*`);
      if (keys.length > 0) await redis.del(...keys);
    });
    // Ready once the cache's connection to Redis is up: a read before would fail over to load().
    let ready = false;
    for (let attempt = 0; attempt < 100 && !ready; attempt++) {
      ready = (await instance.app.inject({ url: '/health/ready' })).statusCode === 200;
      if (!ready) await sleep(20);
    }
    assert.ok(ready, 'the service reaches Redis');

    const { traceId, traceparent } = newTraceparent();
    const response = await instance.app.inject({ url: '/answer', headers: { traceparent } });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json(), { answer: 42 });

    const { matched, spans } = await expectTrace(traceId, [
      { service: name, kind: 'server', name: 'GET /answer' },
      {
        service: name,
        kind: 'client',
        name: /^EVAL(SHA)?$/,
        attributes: {
          'db.system.name': 'redis',
          'lattice.redis.connection': `lattice-cache-${name}`,
        },
      },
    ]);
    const [request, read] = matched as [StoredSpan, StoredSpan];
    assert.ok(isDescendant(spans, read, request), 'the Redis span is under the request');
    assert.equal(read.status, 'unset', 'the read reached Redis');
  });
});
