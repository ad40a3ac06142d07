import { defineError } from '../errors.ts';

export const CacheErrors = {
  /** 503: the change is saved, but other instances could still serve the old value until TTL. */
  invalidationFailed: defineError('CACHE_INVALIDATION_FAILED', 503, 'Cache invalidation failed'),
} as const;
