export type CacheTier = 'l1' | 'l2';
export type CacheOperation = 'read' | 'write' | 'invalidate';

/**
 * Hooks the kit feeds prom-client counters from, called once per tier a get consulted (an L1
 * hit counts no L2 event). Embedded mode: a get that joins a load in flight counts no miss.
 * Called synchronously on the read path, so they must be cheap and must not throw.
 */
export interface CacheMetrics {
  hit(tier: CacheTier): void;
  miss(tier: CacheTier): void;
  /** A Redis command failed; the cache fell back to the database (reads) or rejected (invalidate). */
  error?(operation: CacheOperation): void;
}

/** The part of a pino logger the cache uses. */
export interface CacheLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface CreateCacheOptions {
  /** Names the keys (`lattice:<service>:…`), so services sharing a Redis never collide. */
  service: string;
  mode: 'embedded' | 'distributed';
  /** Distributed mode: required. */
  redisUrl?: string;
  l1: { max: number; ttlMs: number };
  /** Distributed mode: lifetime of values in Redis. */
  l2TtlMs: number;
  /** Values whose JSON is larger are stored brotli-compressed in Redis (default 1024). */
  compressAboveBytes?: number;
  /** A Redis command slower than this fails, and reads fall back to the database (default 500). */
  redisTimeoutMs?: number;
  metrics?: CacheMetrics;
  logger?: CacheLogger;
}

export type CacheHealth = { status: 'up' } | { status: 'degraded'; reason: string };
