import { SandboxErrors } from '../errors.ts';

/**
 * How a simulated outage fails. `unavailable`: calls are refused before anything happens.
 * `lost_responses`: charges and refunds are made, but every answer is a 503, as when the
 * processor worked and the network or its front end lost the reply (the caller cannot tell).
 */
export type OutageMode = 'unavailable' | 'lost_responses';

/**
 * The simulated outage: while it is on, every processing call answers 503 (the process stays
 * up and answers its health checks, like a provider whose API is down behind its load
 * balancer). Per process, on purpose: tests flip it and flip it back within one run.
 */
export class OutageSwitch {
  #enabled: boolean;
  #mode: OutageMode = 'unavailable';
  #since: Date | null;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
    this.#since = enabled ? new Date() : null;
  }

  set(enabled: boolean, mode: OutageMode = 'unavailable'): void {
    if (enabled !== this.#enabled) this.#since = enabled ? new Date() : null;
    this.#enabled = enabled;
    this.#mode = mode;
  }

  get state() {
    return {
      enabled: this.#enabled,
      mode: this.#enabled ? this.#mode : null,
      since: this.#since?.toISOString() ?? null,
    };
  }

  /** Before a charge or refund: refused in an `unavailable` outage. */
  beforeProcessing(): void {
    if (this.#enabled && this.#mode === 'unavailable') throw SandboxErrors.outage();
  }

  /** After a charge or refund was made: its answer is lost in a `lost_responses` outage. */
  afterProcessing(): void {
    if (this.#enabled && this.#mode === 'lost_responses') throw SandboxErrors.outage();
  }

  /** Reads answer 503 in any outage. */
  check(): void {
    if (this.#enabled) throw SandboxErrors.outage();
  }
}
