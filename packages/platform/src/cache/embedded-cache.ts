import type { LRUCache } from 'lru-cache';
import { assertTtl, createL1, type L1Entry } from './l1.ts';
import type { CacheHealth, CacheMetrics, CreateCacheOptions } from './options.ts';
import { Flights } from './singleflight.ts';
import type { TieredCache } from './tiered-cache.ts';

/** One process, one copy of the data: an LRU with TTL whose invalidation is immediate. */
export class EmbeddedCache implements TieredCache {
  readonly #l1: LRUCache<string, L1Entry>;
  readonly #flights = new Flights();
  readonly #metrics: CacheMetrics | undefined;

  constructor(options: Pick<CreateCacheOptions, 'l1' | 'metrics'>) {
    this.#l1 = createL1(options.l1);
    this.#metrics = options.metrics;
  }

  async get<T>(
    key: string,
    load: () => Promise<T | undefined>,
    options: { ttlMs?: number } = {},
  ): Promise<T | undefined> {
    if (options.ttlMs !== undefined) assertTtl('ttlMs', options.ttlMs);
    const hit = this.#l1.get(key);
    if (hit) {
      this.#metrics?.hit('l1');
      return JSON.parse(hit.json) as T;
    }
    const json = await this.#flights.run(key, async (isCurrent) => {
      this.#metrics?.miss('l1');
      const value = await load();
      if (value === undefined) return undefined;
      const text = JSON.stringify(value);
      // A load that an invalidation overtook may hold the old value: answer it, never cache it.
      if (isCurrent()) this.#l1.set(key, { json: text, version: '' }, ttlOption(options.ttlMs));
      return text;
    });
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async invalidate(key: string): Promise<void> {
    this.#flights.detach(key);
    this.#l1.delete(key);
  }

  async health(): Promise<CacheHealth> {
    return { status: 'up' };
  }

  async close(): Promise<void> {
    this.#l1.clear();
  }
}

export function ttlOption(ttlMs: number | undefined): { ttl?: number } {
  return ttlMs === undefined ? {} : { ttl: ttlMs };
}
