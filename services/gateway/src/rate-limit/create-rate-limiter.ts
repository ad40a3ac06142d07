import type { FastifyBaseLogger } from 'fastify';
import type { Static } from 'typebox';
import type { gatewayConfig } from '../config.ts';
import type { RateLimitState } from '../ops/services-route.ts';
import { BucketRules, type Scope } from './bucket-rules.ts';
import { MemoryStore } from './memory-store.ts';
import { RateLimiter } from './rate-limiter.ts';
import { RedisStore } from './redis-store.ts';

type Config = Static<typeof gatewayConfig> & { LATTICE_MODE: string; REDIS_URL: string };

/**
 * The limiter for this process: Redis-backed (shared by replicas) in distributed mode, in
 * memory in embedded mode or when GATEWAY_RATE_LIMIT_STORE=memory; none when every limit is off.
 */
export function createRateLimiter(
  config: Config,
  log: FastifyBaseLogger,
  onReject: (scope: Scope) => void,
): { limiter: RateLimiter | undefined; state: () => RateLimitState } {
  const rules = new BucketRules(
    {
      ip: config.GATEWAY_RATE_LIMIT_IP,
      user: config.GATEWAY_RATE_LIMIT_USER,
      tenant: config.GATEWAY_RATE_LIMIT_TENANT,
    },
    config.GATEWAY_RATE_LIMIT_ROUTES,
  );
  if (!rules.any()) return { limiter: undefined, state: () => ({ store: 'off', degraded: false }) };
  const memory = new MemoryStore();
  const useRedis =
    config.GATEWAY_RATE_LIMIT_STORE === 'redis' ||
    (config.GATEWAY_RATE_LIMIT_STORE === 'auto' && config.LATTICE_MODE !== 'embedded');
  if (!useRedis) {
    return {
      limiter: new RateLimiter({ rules, store: memory, onReject }),
      state: () => ({ store: 'memory', degraded: false }),
    };
  }
  const redis = new RedisStore({
    url: config.REDIS_URL,
    timeoutMs: config.GATEWAY_RATE_LIMIT_REDIS_TIMEOUT_MS,
    fallback: memory,
    log,
  });
  return {
    limiter: new RateLimiter({ rules, store: redis, onReject }),
    state: () => ({ store: 'redis', degraded: redis.degraded }),
  };
}
