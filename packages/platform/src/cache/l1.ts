import { LRUCache } from 'lru-cache';

/**
 * L1 keeps JSON text, not the object: each get parses its own copy, so a caller that mutates
 * its answer cannot change what the next request reads.
 */
export interface L1Entry {
  json: string;
  /** Distributed mode: the version the value was loaded under; '' in embedded mode. */
  version: string;
}

export function createL1(options: { max: number; ttlMs: number }): LRUCache<string, L1Entry> {
  if (!Number.isInteger(options.max) || options.max < 1) {
    throw new Error(`cache: l1.max must be a positive integer, got ${options.max}`);
  }
  assertTtl('l1.ttlMs', options.ttlMs);
  return new LRUCache<string, L1Entry>({ max: options.max, ttl: options.ttlMs });
}

export function assertTtl(name: string, ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) {
    throw new Error(`cache: ${name} must be a positive integer of milliseconds, got ${ttlMs}`);
  }
}
