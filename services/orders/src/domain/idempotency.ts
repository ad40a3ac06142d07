import { createHash } from 'node:crypto';
import {
  type CallerKeys,
  deleteExpiredKeys,
  type StoredResponse,
} from '../data/idempotency-keys.ts';
import { OrdersErrors } from '../errors.ts';
import type { OrdersDeps } from './deps.ts';

/** SHA-256 of the body in canonical JSON: key order and spacing do not change it. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Inside the placing transaction: the first response stored under `key`, to be replayed, or
 * undefined when this request is the first (or the key expired). The key is held until the
 * transaction ends, so a concurrent request with the same key learns at once that this one is
 * in flight (409) instead of placing a second order.
 */
export async function earlierResponse(
  keys: CallerKeys,
  key: string,
  hash: string,
  now: Date,
  ttlMs: number,
): Promise<StoredResponse | undefined> {
  if (!(await keys.tryLock(key))) throw keyInFlight();
  const earlier = await keys.find(key);
  if (!earlier) return undefined;
  if (expired(earlier, now, ttlMs)) {
    await keys.forget(key);
    return undefined;
  }
  return replayable(earlier, hash);
}

/** The 409 for a key whose first request has not finished. */
export function keyInFlight() {
  return OrdersErrors.idempotencyKeyInFlight(
    'The first request with this Idempotency-Key has not finished; retry shortly to get its response',
    { headers: { 'retry-after': '1' } },
  );
}

/** A stored response past the keys' lifetime: the key is new again. */
export function expired(earlier: StoredResponse, now: Date, ttlMs: number): boolean {
  return earlier.createdAt.getTime() <= now.getTime() - ttlMs;
}

/** The stored response, to be replayed to a request with the same body; 422 for another. */
export function replayable(earlier: StoredResponse, hash: string): StoredResponse {
  if (earlier.requestHash !== hash) {
    throw OrdersErrors.idempotencyKeyReused(
      'This Idempotency-Key was used with a different request body; use a new key for a new order',
    );
  }
  return earlier;
}

/** Deletes the keys past their lifetime, in batches; resolves with how many. */
export async function expireIdempotencyKeys(deps: OrdersDeps): Promise<number> {
  const before = new Date(deps.now().getTime() - deps.idempotencyTtlMs);
  let total = 0;
  for (;;) {
    const deleted = await deleteExpiredKeys(deps.database.db, before);
    total += deleted;
    if (deleted === 0) return total;
  }
}
