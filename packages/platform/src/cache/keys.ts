// A name with ':' could make one service's keys another's (`a:d` + `x` vs `a` + `d:x`).
const SERVICE_NAME = /^[a-z][a-z0-9-]*$/;

export interface CacheKeys {
  /** The L2 value (with the version it was loaded under). */
  value(key: string): string;
  /** The current version of `key`, replaced by every invalidation. */
  version(key: string): string;
  /** Pub/sub channel of evictions, so other instances free their L1 early. */
  readonly channel: string;
}

/**
 * Every key lives under `lattice:<service>:`; the tier letter sits at a fixed position, so no
 * cache key, whatever characters it has, can name another key's version or value.
 */
export function cacheKeys(service: string): CacheKeys {
  if (!SERVICE_NAME.test(service)) {
    throw new Error(
      `cache: service name must match ${SERVICE_NAME}, got ${JSON.stringify(service)}`,
    );
  }
  const prefix = `lattice:${service}:`;
  return {
    value: (key) => `${prefix}d:${key}`,
    version: (key) => `${prefix}v:${key}`,
    channel: `${prefix}evict`,
  };
}
