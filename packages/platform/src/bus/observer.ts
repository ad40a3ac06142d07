/**
 * Optional hooks for metrics and logs; the kit feeds prom-client counters from them. Every
 * hook is called synchronously on the bus's path, so it must be cheap and must not throw.
 */
export interface BusObserver {
  /** Stored by the broker (a deduplicated re-publish is not counted). */
  published?(type: string): void;
  /** Handled and acknowledged, `ms` after the handler started. */
  consumed?(type: string, group: string, ms: number): void;
  /** A delivery after the first (after a throw, a timeout or a consumer crash). */
  redelivered?(type: string, group: string, attempt: number): void;
  /** A handler threw; the event will be retried or dead-lettered. */
  failed?(type: string, group: string, attempt: number, error: unknown): void;
  deadLettered?(type: string, group: string, reason: string): void;
}

/** The part of a pino logger the bus uses. */
export interface BusLogger {
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface RetryPolicy {
  /** Delay before the second delivery; doubles for each further one. */
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { baseMs: 1_000, maxMs: 60_000 };
export const DEFAULT_MAX_DELIVER = 5;
export const DEFAULT_ACK_WAIT_MS = 30_000;

/** Exponential backoff with ±20% jitter, so consumers that failed together retry apart. */
export function retryDelayMs(attempt: number, policy: RetryPolicy): number {
  const exact = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exact * (0.8 + Math.random() * 0.4));
}
