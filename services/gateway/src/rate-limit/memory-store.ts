import { Lru } from '@lattice/platform';
import type { BucketSpec } from './bucket-rules.ts';
import type { BucketStore } from './bucket-store.ts';

interface Bucket {
  tokens: number;
  at: number;
}

/**
 * Buckets in this process: embedded mode, GATEWAY_RATE_LIMIT_STORE=memory, and the fallback
 * while Redis is unreachable. Bounded: a forgotten bucket is a full one, which costs a client
 * at most one extra burst, never memory without end under a flood of source addresses.
 */
export class MemoryStore implements BucketStore {
  readonly #buckets: Lru<string, Bucket>;

  constructor(maxBuckets = 100_000) {
    this.#buckets = new Lru(maxBuckets);
  }

  takeNow(keys: readonly string[], specs: readonly BucketSpec[], tokens: number[]): boolean {
    const now = performance.now();
    let allowed = true;
    for (let i = 0; i < keys.length; i++) {
      const spec = specs[i] as BucketSpec;
      const bucket = this.#buckets.get(keys[i] as string);
      const available =
        bucket === undefined
          ? spec.capacity
          : Math.min(spec.capacity, bucket.tokens + (now - bucket.at) * spec.refillPerMs);
      tokens[i] = available;
      if (available < 1) allowed = false;
    }
    if (!allowed) return false;
    for (let i = 0; i < keys.length; i++) {
      const left = (tokens[i] as number) - 1;
      tokens[i] = left;
      const key = keys[i] as string;
      const bucket = this.#buckets.get(key);
      if (bucket === undefined) this.#buckets.set(key, { tokens: left, at: now });
      else {
        bucket.tokens = left;
        bucket.at = now;
      }
    }
    return true;
  }

  async take(keys: readonly string[], specs: readonly BucketSpec[], tokens: number[]) {
    return this.takeNow(keys, specs, tokens);
  }

  async close(): Promise<void> {
    this.#buckets.clear();
  }
}
