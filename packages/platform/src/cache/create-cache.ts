import { DistributedCache } from './distributed-cache.ts';
import { EmbeddedCache } from './embedded-cache.ts';
import type { CreateCacheOptions } from './options.ts';
import type { TieredCache } from './tiered-cache.ts';

/**
 * The cache of one service: in embedded mode an in-process LRU; in distributed mode the same
 * LRU in front of Redis, kept consistent across instances by a version per key (see
 * distributed-cache.ts). Connects in the background: until Redis answers, reads go to `load()`.
 */
export function createCache(options: CreateCacheOptions): TieredCache {
  if (options.mode === 'embedded') return new EmbeddedCache(options);
  if (!options.redisUrl) throw new Error('cache: distributed mode needs redisUrl');
  return new DistributedCache({ ...options, redisUrl: options.redisUrl });
}
