import assert from 'node:assert/strict';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CacheErrors } from '../../src/cache/index.ts';
import { needs } from '../../src/testing/index.ts';
import {
  closedPort,
  countingMetrics,
  distributedCache,
  FakeTable,
  inspector,
  redisUrl,
  uniqueService,
} from './support.ts';

function recordingLogger() {
  const lines: Array<{ level: string; message: string }> = [];
  return {
    lines,
    info: (_object: object, message: string) => void lines.push({ level: 'info', message }),
    warn: (_object: object, message: string) => void lines.push({ level: 'warn', message }),
  };
}

describe('distributed cache without Redis', () => {
  test('gets fall back to load, invalidations reject, health is degraded, one warning', async () => {
    const metrics = countingMetrics();
    const logger = recordingLogger();
    const cache = await distributedCache(uniqueService(), {
      redisUrl: `redis://127.0.0.1:${await closedPort()}`,
      metrics,
      logger,
    });
    const row = new FakeTable('from the database');
    for (let i = 0; i < 5; i++)
      assert.equal(await cache.get('todo', row.loader()), 'from the database');
    assert.equal(row.loads, 5, 'nothing is served unchecked');

    await assert.rejects(cache.invalidate('todo'), (error) =>
      CacheErrors.invalidationFailed.is(error),
    );
    const health = await cache.health();
    assert.equal(health.status, 'degraded');
    assert.equal(metrics.counts.errors, 6);
    assert.deepEqual(metrics.counts.l1, { hit: 0, miss: 5 });
    assert.equal(
      logger.lines.filter((l) => l.level === 'warn').length,
      1,
      'an outage is logged once',
    );
  });

  test("during an outage L1 is not served; after it, the other instance's write is seen", {
    skip: needs('redis'),
  }, async () => {
    const service = uniqueService();
    inspector(service);
    const proxy = await TcpProxy.start(new URL(redisUrl));
    const logger = recordingLogger();
    // `cut` reaches Redis through the proxy, `b` directly: only `cut` loses Redis.
    const cut = await distributedCache(service, {
      redisUrl: `redis://127.0.0.1:${proxy.port}`,
      logger,
    });
    const b = await distributedCache(service);
    await untilUp(cut);
    const row = new FakeTable('old');
    assert.equal(await cut.get('todo', row.loader()), 'old');

    await proxy.stop();
    row.value = 'new';
    await b.invalidate('todo');
    // `cut` still holds 'old' in L1 but cannot check its version: it must ask the database.
    assert.equal(await cut.get('todo', row.loader()), 'new');
    await assert.rejects(cut.invalidate('todo'));

    await proxy.resume();
    await untilUp(cut);
    assert.equal(await cut.get('todo', row.loader()), 'new');
    const levels = logger.lines.map((l) => l.level);
    assert.ok(levels.includes('warn') && levels.at(-1) === 'info', levels.join());
    await proxy.stop();
  });
});

async function untilUp(cache: { health(): Promise<{ status: string }> }): Promise<void> {
  for (let attempt = 0; attempt < 150; attempt++) {
    if ((await cache.health()).status === 'up') return;
    await sleep(20);
  }
  throw new Error('Redis did not answer through the proxy');
}

/** A TCP hop to Redis that a test can cut and restore on the same port. */
class TcpProxy {
  readonly port: number;
  readonly #target: URL;
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();

  private constructor(target: URL, server: Server, port: number) {
    this.#target = target;
    this.#server = server;
    this.port = port;
  }

  static async start(target: URL): Promise<TcpProxy> {
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((socket) => holder.proxy!.pipe(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.proxy = new TcpProxy(target, server, (server.address() as { port: number }).port);
    return holder.proxy;
  }

  pipe(client: Socket): void {
    const upstream = createConnection({
      host: this.#target.hostname,
      port: Number(this.#target.port || 6379),
    });
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  async resume(): Promise<void> {
    const server = createServer((socket) => this.pipe(socket));
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }
}
