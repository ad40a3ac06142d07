import type { Redis } from 'ioredis';

/**
 * Each script is one round trip and runs atomically in Redis, which is what the version
 * protocol relies on: no command of another instance can land between its steps.
 *
 * Versions are random tokens, never counters: a counter restarts at 1 when its key expires or
 * Redis loses its data, and an old entry tagged 1 would then pass as current. A missing version
 * is replaced by a fresh token for the same reason, so no entry is ever tagged "no version".
 */
const scripts = {
  // KEYS: version, value. ARGV: fresh token, version TTL, the version the caller's L1 holds ('' if none).
  // → {version} when L1 is current, else {version, value or nil}.
  latticeCacheRead: {
    numberOfKeys: 2,
    lua: `
local version = redis.call('GET', KEYS[1])
if not version then
  version = ARGV[1]
  redis.call('SET', KEYS[1], version, 'PX', ARGV[2])
end
if version == ARGV[3] then return {version} end
return {version, redis.call('GET', KEYS[2])}
`,
  },
  // KEYS: version, value. ARGV: version read before loading, encoded value, value TTL, version TTL.
  // Compare-and-set: a load that an invalidation overtook never writes its (old) value.
  latticeCacheWrite: {
    numberOfKeys: 2,
    lua: `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[1], ARGV[4]) end
return 1
`,
  },
  // KEYS: version, value. ARGV: fresh token, version TTL, eviction channel, cache key.
  latticeCacheInvalidate: {
    numberOfKeys: 2,
    lua: `
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`,
  },
} as const;

type Arg = string | number | Buffer;

/** The commands `defineCommand` adds to a connection (ioredis cannot type them itself). */
export interface CacheCommands {
  latticeCacheReadBuffer(...args: Arg[]): Promise<[Buffer] | [Buffer, Buffer | null]>;
  latticeCacheWrite(...args: Arg[]): Promise<0 | 1>;
  latticeCacheInvalidate(...args: Arg[]): Promise<1>;
}

export function withCacheCommands(redis: Redis): Redis & CacheCommands {
  for (const [name, definition] of Object.entries(scripts)) redis.defineCommand(name, definition);
  return redis as Redis & CacheCommands;
}
