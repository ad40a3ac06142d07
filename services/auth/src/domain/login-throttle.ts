import {
  clearThrottle,
  lockThrottle,
  readThrottles,
  saveThrottle,
} from '../data/login-throttle.ts';
import { AuthErrors } from '../errors.ts';
import type { AuthDeps } from './deps.ts';
import { afterFailure, retryAfterSeconds } from './throttle-policy.ts';

export interface ThrottleKey {
  key: string;
  free: number;
}

/** One budget per account (guessing one password) and one per client IP (spraying many). */
export function throttleKeys(deps: AuthDeps, email: string, ip: string): ThrottleKey[] {
  return [
    { key: `account:${email}`, free: deps.throttle.freeFailuresPerAccount },
    { key: `ip:${ip}`, free: deps.throttle.freeFailuresPerIp },
  ];
}

/** 429 while a window is open; attempts inside a window are not counted, so they cannot extend it. */
export async function assertNotThrottled(deps: AuthDeps, keys: ThrottleKey[]): Promise<void> {
  const now = deps.now();
  const states = await readThrottles(
    deps.database.db,
    keys.map((k) => k.key),
  );
  const seconds = retryAfterSeconds(states, now);
  if (seconds > 0) {
    throw AuthErrors.tooManyAttempts(`Too many failed logins; retry in ${seconds} s`, {
      headers: { 'retry-after': String(seconds) },
    });
  }
}

export async function recordFailedLogin(deps: AuthDeps, keys: ThrottleKey[]): Promise<void> {
  const now = deps.now();
  // Sorted so two requests lock the same rows in the same order and cannot deadlock.
  const ordered = [...keys].sort((a, b) => a.key.localeCompare(b.key));
  await deps.database.transaction(async (trx) => {
    for (const { key, free } of ordered) {
      const state = await lockThrottle(trx, key);
      await saveThrottle(trx, { key, ...afterFailure(state, free, deps.throttle, now) });
    }
  });
}

/** Only the account's count: one good password must not unlock an IP that sprays others. */
export async function recordSuccessfulLogin(deps: AuthDeps, keys: ThrottleKey[]): Promise<void> {
  await clearThrottle(deps.database.db, keys[0]!.key);
}
