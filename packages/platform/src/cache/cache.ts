/**
 * The `Cache` port: a read-through cache for values a service can rebuild from its database.
 * Embedded mode: an in-process LRU (L1). Distributed mode: L1 in front of Redis (L2), shared by
 * every instance of the service.
 *
 * The rule that makes it safe: `invalidate(key)` resolves only once no instance can serve the
 * old value any more, so a write that invalidates before it is acknowledged is never followed
 * by a stale read, on any instance.
 */
export interface Cache {
  /**
   * The cached value of `key`, else `load()`'s, which is then cached (undefined is not cached).
   * Values travel as JSON, so every answer has the same shape whether it came from `load()` or
   * a tier (a `Date` comes back as its ISO string). `ttlMs` replaces the configured TTL of every
   * tier for this entry.
   */
  get<T>(
    key: string,
    load: () => Promise<T | undefined>,
    options?: { ttlMs?: number },
  ): Promise<T | undefined>;
  /**
   * Forgets `key` in every tier and on every instance. Rejects when that cannot be guaranteed
   * (Redis unreachable): the write it follows is then not to be acknowledged as cache-safe.
   */
  invalidate(key: string): Promise<void>;
  close(): Promise<void>;
}
