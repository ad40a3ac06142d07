export type { Cache } from './cache.ts';
export { createCache } from './create-cache.ts';
export { CacheErrors } from './errors.ts';
export type {
  CacheHealth,
  CacheLogger,
  CacheMetrics,
  CacheOperation,
  CacheTier,
  CreateCacheOptions,
} from './options.ts';
export type { TieredCache } from './tiered-cache.ts';
