import type { BucketSpec } from './bucket-rules.ts';

/**
 * Where token buckets live. `take` is all-or-nothing: one token from every bucket when each
 * has one, else none (a request refused by its tenant's bucket does not also drain its user's).
 * `tokens` receives each bucket's tokens after the decision.
 */
export interface BucketStore {
  take(keys: readonly string[], specs: readonly BucketSpec[], tokens: number[]): Promise<boolean>;
  close(): Promise<void>;
}
