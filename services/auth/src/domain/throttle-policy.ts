export interface ThrottlePolicy {
  freeFailuresPerAccount: number;
  freeFailuresPerIp: number;
  baseSeconds: number;
  maxSeconds: number;
  /** Failures older than this (since the last one) are forgotten. */
  memorySeconds: number;
}

export interface ThrottleState {
  failures: number;
  lastFailureAt: Date | null;
  blockedUntil: Date | null;
}

/**
 * Exponential backoff, never a lockout: after `free` failures each one opens a window twice
 * the last, capped at `maxSeconds`, and the count is forgotten after a quiet period. So an
 * attacker slows a victim's account down, but each window ends and a success resets it.
 */
export function afterFailure(
  state: ThrottleState,
  free: number,
  policy: ThrottlePolicy,
  now: Date,
): ThrottleState {
  const forgotten =
    !state.lastFailureAt ||
    now.getTime() - state.lastFailureAt.getTime() > policy.memorySeconds * 1000;
  const failures = (forgotten ? 0 : state.failures) + 1;
  if (failures < free) return { failures, lastFailureAt: now, blockedUntil: null };
  const exponent = Math.min(failures - free, 30);
  const seconds = Math.min(policy.baseSeconds * 2 ** exponent, policy.maxSeconds);
  return { failures, lastFailureAt: now, blockedUntil: new Date(now.getTime() + seconds * 1000) };
}

/** Whole seconds until every window has closed, or 0 when none is open. */
export function retryAfterSeconds(states: ThrottleState[], now: Date): number {
  const ends = states.map((s) => s.blockedUntil?.getTime() ?? 0);
  const remaining = Math.max(0, ...ends) - now.getTime();
  return remaining > 0 ? Math.ceil(remaining / 1000) : 0;
}
