import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { type CacheTier, type CreateCacheOptions, createCache } from '../../src/cache/index.ts';
import type { TieredCache } from '../../src/cache/tiered-cache.ts';
import { infrastructure } from '../../src/testing/infrastructure.ts';

export const redisUrl = infrastructure.find((i) => i.name === 'redis')!.url;

/** A service name of its own per test, so tests running at once never share a key. */
export function uniqueService(): string {
  return `cache-test-${randomUUID().slice(0, 8)}`;
}

export function countingMetrics() {
  const counts = { l1: { hit: 0, miss: 0 }, l2: { hit: 0, miss: 0 }, errors: 0 };
  return {
    counts,
    hit: (tier: CacheTier) => void counts[tier].hit++,
    miss: (tier: CacheTier) => void counts[tier].miss++,
    error: () => void counts.errors++,
  };
}

/** A row in "the database": the truth the cache must never contradict after a write. */
export class FakeTable<T> {
  value: T;
  loads = 0;
  constructor(value: T) {
    this.value = value;
  }
  /** Reads the row now, answers after `delayMs` (a slow query that a write can overtake). */
  loader(delayMs = 0): () => Promise<T> {
    return async () => {
      this.loads++;
      const read = this.value;
      if (delayMs > 0) await sleep(delayMs);
      return read;
    };
  }
}

/** A raw connection to look at what the caches stored; removes the test's keys at the end. */
export function inspector(service: string): Redis {
  const redis = new Redis(redisUrl);
  after(async () => {
    const keys = await redis.keys(`lattice:${service}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });
  return redis;
}

/** A distributed cache closed after the test, once Redis answers it. */
export async function distributedCache(
  service: string,
  overrides: Partial<CreateCacheOptions> = {},
): Promise<TieredCache> {
  const cache = createCache({
    service,
    mode: 'distributed',
    redisUrl,
    l1: { max: 1000, ttlMs: 60_000 },
    l2TtlMs: 60_000,
    ...overrides,
  });
  after(() => cache.close());
  if (overrides.redisUrl === undefined) await untilUp(cache);
  return cache;
}

async function untilUp(cache: TieredCache): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    if ((await cache.health()).status === 'up') return;
    await sleep(20);
  }
  throw new Error('Redis did not answer the cache within 2 s');
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}
