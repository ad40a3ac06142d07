import { randomBytes } from 'node:crypto';
import type { LRUCache } from 'lru-cache';
import { decodeValue, encodeValue } from './codec.ts';
import { CacheErrors } from './errors.ts';
import { type CacheKeys, cacheKeys } from './keys.ts';
import { assertTtl, createL1, type L1Entry } from './l1.ts';
import type { CacheHealth, CacheMetrics, CreateCacheOptions } from './options.ts';
import { RedisLink } from './redis-link.ts';
import { Flights } from './singleflight.ts';
import type { TieredCache } from './tiered-cache.ts';

/**
 * L1 in-process LRU in front of Redis (L2), shared by every instance of a service.
 *
 * Staleness is ruled out by a version per key kept in Redis, not by pub/sub (a message can be in
 * flight when the next read arrives). Every lookup reads the current version in the same round
 * trip as the L2 value; an L1 or L2 entry is served only if it carries that version, and a load
 * is written back only if the version did not change while loading. `invalidate` replaces the
 * version and deletes the L2 value atomically, so once it resolves every later lookup, on any
 * instance, misses the old value. The eviction it publishes only frees other instances' L1 early.
 *
 * Without Redis the version cannot be checked, so nothing is served from either tier: reads go
 * to the database (correctness over hit rate) and invalidations reject.
 */
export class DistributedCache implements TieredCache {
  readonly #keys: CacheKeys;
  readonly #l1: LRUCache<string, L1Entry>;
  readonly #flights = new Flights();
  readonly #link: RedisLink;
  readonly #l1TtlMs: number;
  readonly #l2TtlMs: number;
  readonly #compressAboveBytes: number;
  readonly #metrics: CacheMetrics | undefined;

  constructor(options: CreateCacheOptions & { redisUrl: string }) {
    this.#keys = cacheKeys(options.service);
    this.#l1 = createL1(options.l1);
    assertTtl('l2TtlMs', options.l2TtlMs);
    this.#l1TtlMs = options.l1.ttlMs;
    this.#l2TtlMs = options.l2TtlMs;
    this.#compressAboveBytes = options.compressAboveBytes ?? 1024;
    this.#metrics = options.metrics;
    this.#link = new RedisLink({
      url: options.redisUrl,
      service: options.service,
      timeoutMs: options.redisTimeoutMs ?? 500,
      metrics: options.metrics,
      logger: options.logger,
    });
    this.#link.subscriber.on('message', (_channel: string, key: string) => this.#l1.delete(key));
    this.#link.subscriber.subscribe(this.#keys.channel).catch(() => {
      // Rejected only when the cache closes before Redis was ever reached.
    });
  }

  async get<T>(
    key: string,
    load: () => Promise<T | undefined>,
    options: { ttlMs?: number } = {},
  ): Promise<T | undefined> {
    if (options.ttlMs !== undefined) assertTtl('ttlMs', options.ttlMs);
    const json = await this.#lookup(key, load, options.ttlMs);
    return json === undefined ? undefined : (JSON.parse(json) as T);
  }

  async #lookup(
    key: string,
    load: () => Promise<unknown>,
    ttlMs: number | undefined,
  ): Promise<string | undefined> {
    const cached = this.#l1.get(key);
    const versionTtl = this.#versionTtl(ttlMs);
    let reply: [Buffer] | [Buffer, Buffer | null];
    try {
      reply = await this.#link.commands.latticeCacheReadBuffer(
        this.#keys.version(key),
        this.#keys.value(key),
        newVersion(),
        versionTtl,
        cached?.version ?? '',
      );
    } catch (error) {
      this.#link.failed('read', error);
      this.#metrics?.miss('l1');
      this.#metrics?.miss('l2');
      // Not shared with other gets: without a version, a load that began before another
      // instance's write could not be told from one that began after it.
      return toJson(await load());
    }
    this.#link.up();
    const version = reply[0].toString('latin1');
    if (cached && cached.version === version) {
      this.#metrics?.hit('l1');
      return cached.json;
    }
    this.#metrics?.miss('l1');
    if (cached && this.#l1.peek(key) === cached) this.#l1.delete(key);

    // Shared only by gets that read the same version: every get checks the version itself, so
    // one that follows a write (on any instance) never joins a load that began before it.
    const found = await this.#flights.run(`${version} ${key}`, () =>
      this.#fill(key, version, reply[1] ?? null, load, ttlMs),
    );
    if (found.from === 'l2') this.#metrics?.hit('l2');
    else this.#metrics?.miss('l2');
    return found.json;
  }

  /** L2 if it holds this version, else `load()`, stored unless the version changed meanwhile. */
  async #fill(
    key: string,
    version: string,
    bytes: Buffer | null,
    load: () => Promise<unknown>,
    ttlMs: number | undefined,
  ): Promise<{ from: 'l2' | 'load'; json: string | undefined }> {
    const stored = bytes ? await decodeValue(bytes) : undefined;
    if (stored && stored.version === version) {
      this.#l1.set(key, { json: stored.json, version }, this.#l1Ttl(ttlMs));
      return { from: 'l2', json: stored.json };
    }
    const json = toJson(await load());
    if (json === undefined) return { from: 'load', json };
    try {
      const encoded = await encodeValue(json, version, this.#compressAboveBytes);
      const written = await this.#link.commands.latticeCacheWrite(
        this.#keys.version(key),
        this.#keys.value(key),
        version,
        encoded,
        ttlMs ?? this.#l2TtlMs,
        this.#versionTtl(ttlMs),
      );
      // Not written: the key was invalidated while loading, and this value may be the old one.
      if (written === 1) this.#l1.set(key, { json, version }, this.#l1Ttl(ttlMs));
    } catch (error) {
      this.#link.failed('write', error);
    }
    return { from: 'load', json };
  }

  async invalidate(key: string): Promise<void> {
    this.#l1.delete(key);
    try {
      await this.#link.commands.latticeCacheInvalidate(
        this.#keys.version(key),
        this.#keys.value(key),
        newVersion(),
        this.#versionTtl(undefined),
        this.#keys.channel,
        key,
      );
    } catch (error) {
      this.#link.failed('invalidate', error);
      throw CacheErrors.invalidationFailed(`The cache entry ${JSON.stringify(key)} may be stale`, {
        cause: error,
      });
    }
    this.#link.up();
  }

  async health(): Promise<CacheHealth> {
    try {
      await this.#link.commands.ping();
      return { status: 'up' };
    } catch (error) {
      return { status: 'degraded', reason: `Redis: ${(error as Error)?.message || error}` };
    }
  }

  async close(): Promise<void> {
    this.#l1.clear();
    await this.#link.close();
  }

  #l1Ttl(ttlMs: number | undefined): { ttl: number } {
    return { ttl: ttlMs ?? this.#l1TtlMs };
  }

  /**
   * A version outlives the entries tagged with it, else they would be reloaded early. (It may
   * still expire or be lost: a fresh random token then replaces it, which costs a reload, never
   * a stale read.)
   */
  #versionTtl(ttlMs: number | undefined): number {
    return 2 * Math.max(this.#l1TtlMs, this.#l2TtlMs, ttlMs ?? 0);
  }
}

function newVersion(): string {
  return randomBytes(12).toString('base64url');
}

function toJson(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}
