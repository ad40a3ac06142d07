import { Counter, type Registry } from 'prom-client';
import type { CacheMetrics } from './index.ts';

/** Hit and miss counts per tier, and failed Redis commands, in the service's registry. */
export function cacheMetrics(registry: Registry): CacheMetrics {
  const registers = [registry];
  const hits = new Counter({
    name: 'cache_hits_total',
    help: 'Cache hits by tier',
    labelNames: ['tier'],
    registers,
  });
  const misses = new Counter({
    name: 'cache_misses_total',
    help: 'Cache misses by tier',
    labelNames: ['tier'],
    registers,
  });
  const errors = new Counter({
    name: 'cache_errors_total',
    help: 'Failed Redis cache commands, by operation',
    labelNames: ['operation'],
    registers,
  });
  return {
    hit: (tier) => hits.inc({ tier }),
    miss: (tier) => misses.inc({ tier }),
    error: (operation) => errors.inc({ operation }),
  };
}
