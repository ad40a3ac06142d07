import { SandboxErrors } from '../errors.ts';

/**
 * The simulated outage: while it is on, every processing call answers 503 (the process stays
 * up and answers its health checks, like a provider whose API is down behind its load
 * balancer). Per process, on purpose: tests flip it and flip it back within one run.
 */
export class OutageSwitch {
  #enabled: boolean;
  #since: Date | null;

  constructor(enabled: boolean) {
    this.#enabled = enabled;
    this.#since = enabled ? new Date() : null;
  }

  set(enabled: boolean): void {
    if (enabled !== this.#enabled) this.#since = enabled ? new Date() : null;
    this.#enabled = enabled;
  }

  get state() {
    return { enabled: this.#enabled, since: this.#since?.toISOString() ?? null };
  }

  /** Throws the 503 a processing call answers during an outage. */
  check(): void {
    if (this.#enabled) throw SandboxErrors.outage();
  }
}
