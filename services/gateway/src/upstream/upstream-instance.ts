import type { Pool } from 'undici';

export type CircuitState = 'closed' | 'open' | 'half-open';
/** The last active check: `unknown` until the first one (and when checks are off). */
export type ActiveHealth = 'unknown' | 'ready' | 'draining' | 'down';

export interface InstancePolicy {
  outlierFailures: number;
  ejectionMs: number;
  maxEjectionMs: number;
  circuitFailures: number;
  circuitOpenMs: number;
}

export interface InstanceEvents {
  /** Something changed whether the instance may be picked. */
  changed(): void;
  ejected(instance: UpstreamInstance): void;
  /** Whether another instance of the service would still be in rotation. */
  othersInRotation(instance: UpstreamInstance): boolean;
}

/**
 * One instance of an upstream service and what the gateway has learned about it. Two passive
 * guards with different jobs:
 * - the circuit breaker reacts to an instance that cannot be reached (connection errors,
 *   timeouts): it opens fast and probes with one real request every GATEWAY_CIRCUIT_OPEN_MS;
 * - outlier ejection reacts to any failure, 5xx answers included, and keeps an instance that
 *   keeps failing out for longer and longer, so a flapping instance stops costing retries.
 * Times are `performance.now()` milliseconds.
 */
export class UpstreamInstance {
  readonly origin: string;
  readonly pool: Pool;
  /** Requests sent to it whose answer has not fully arrived. */
  inFlight = 0;
  health: ActiveHealth = 'unknown';
  healthCheckedAt: Date | undefined;
  /** Set by the service's rebuild: whether a pick may choose it now. */
  usable = false;
  circuit: CircuitState = 'closed';
  openUntil = 0;
  ejectedUntil = 0;
  ejections = 0;
  readonly #policy: InstancePolicy;
  readonly #events: InstanceEvents;
  readonly #streamPool: (() => Pool) | undefined;
  #failures = 0;
  #unreachable = 0;
  #probing = false;
  #lastEjectionEnd = 0;

  constructor(
    origin: string,
    pool: Pool,
    policy: InstancePolicy,
    events: InstanceEvents,
    streamPool?: () => Pool,
  ) {
    this.origin = origin;
    this.pool = pool;
    this.#policy = policy;
    this.#events = events;
    this.#streamPool = streamPool;
  }

  /** The pool for long-lived answers (event streams); the ordinary pool when none is given. */
  streamPool(): Pool {
    return this.#streamPool?.() ?? this.pool;
  }

  get consecutiveFailures(): number {
    return this.#failures;
  }

  ejected(now: number): boolean {
    return this.ejectedUntil > now;
  }

  /** Time-driven transitions; returns whether the passive guards let it take a request. */
  admits(now: number): boolean {
    if (this.ejectedUntil !== 0 && this.ejectedUntil <= now) {
      this.ejectedUntil = 0;
      this.#lastEjectionEnd = now;
      // On probation: the next failure ejects it again, for longer.
      this.#failures = Math.max(0, this.#policy.outlierFailures - 1);
    }
    if (this.circuit === 'open' && this.openUntil <= now) this.circuit = 'half-open';
    if (this.ejectedUntil !== 0) return false;
    if (this.circuit === 'open') return false;
    return !(this.circuit === 'half-open' && this.#probing);
  }

  /** The earliest time `admits` may change its mind without a request outcome. */
  wakeAt(): number {
    let at = Number.POSITIVE_INFINITY;
    if (this.ejectedUntil !== 0) at = this.ejectedUntil;
    if (this.circuit === 'open' && this.openUntil < at) at = this.openUntil;
    return at;
  }

  /** Whether active health checks let it take new requests. */
  healthy(): boolean {
    return this.health === 'ready' || this.health === 'unknown';
  }

  begin(): void {
    this.inFlight++;
    if (this.circuit === 'half-open' && !this.#probing) {
      // This request is the probe; no other goes until it has an outcome.
      this.#probing = true;
      this.#events.changed();
    }
  }

  end(): void {
    this.inFlight--;
  }

  succeeded(): void {
    this.#failures = 0;
    this.#unreachable = 0;
    if (this.circuit !== 'closed' || this.#probing) {
      this.circuit = 'closed';
      this.#probing = false;
      this.#events.changed();
    }
  }

  /** `unreachable`: a connection error or timeout, as opposed to a 5xx answer. */
  failed(unreachable: boolean, now: number): void {
    this.#failures++;
    this.#unreachable = unreachable ? this.#unreachable + 1 : 0;
    const policy = this.#policy;
    let changed = false;
    if (this.circuit === 'half-open') {
      this.circuit = 'open';
      this.openUntil = now + policy.circuitOpenMs;
      this.#probing = false;
      changed = true;
    } else if (
      this.circuit === 'closed' &&
      policy.circuitFailures > 0 &&
      this.#unreachable >= policy.circuitFailures
    ) {
      this.circuit = 'open';
      this.openUntil = now + policy.circuitOpenMs;
      changed = true;
    }
    // Never the last instance in rotation: with nothing to fail over to, its own answers
    // (5xx passed through) serve clients better than the gateway's 503.
    if (
      policy.outlierFailures > 0 &&
      this.#failures >= policy.outlierFailures &&
      this.ejectedUntil === 0 &&
      this.#events.othersInRotation(this)
    ) {
      this.ejections =
        this.#lastEjectionEnd !== 0 && now - this.#lastEjectionEnd > policy.maxEjectionMs
          ? 1
          : this.ejections + 1;
      this.ejectedUntil = now + Math.min(policy.ejectionMs * this.ejections, policy.maxEjectionMs);
      this.#failures = 0;
      this.#events.ejected(this);
      changed = true;
    }
    if (changed) this.#events.changed();
  }

  /** The request ended without telling anything about the instance (the client went away). */
  abandoned(): void {
    if (this.#probing) {
      this.#probing = false;
      this.#events.changed();
    }
  }

  setHealth(health: ActiveHealth): void {
    this.healthCheckedAt = new Date();
    if (health === this.health) return;
    this.health = health;
    this.#events.changed();
  }
}
