import type { Cache } from './cache.ts';
import type { CacheHealth } from './options.ts';

/** The `Cache` port plus what the kit needs to run it. */
export interface TieredCache extends Cache {
  /**
   * Never throws. Distributed mode: 'degraded' while Redis does not answer; reads are then
   * served by the database (correct, slower) and invalidations reject.
   */
  health(): Promise<CacheHealth>;
}
