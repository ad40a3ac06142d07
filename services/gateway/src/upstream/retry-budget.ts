const WINDOW_SECONDS = 10;

/**
 * Retries may be at most `ratio` of the requests of the last 10 s (plus `minPerSecond`), like
 * Linkerd's and Envoy's budgets: with three attempts per request an outage would otherwise
 * triple the load on whatever instances are left. One-second slots in a ring, so recording is
 * O(1) and allocation-free.
 */
export class RetryBudget {
  readonly #ratio: number;
  readonly #floor: number;
  readonly #requests = new Uint32Array(WINDOW_SECONDS);
  readonly #retries = new Uint32Array(WINDOW_SECONDS);
  #second = 0;
  #totalRequests = 0;
  #totalRetries = 0;

  constructor(ratio: number, minPerSecond: number) {
    this.#ratio = ratio;
    this.#floor = minPerSecond * WINDOW_SECONDS;
  }

  #advance(): number {
    const now = Math.floor(performance.now() / 1000);
    if (now !== this.#second) {
      const gap = Math.min(now - this.#second, WINDOW_SECONDS);
      for (let i = 1; i <= gap; i++) {
        const slot = (this.#second + i) % WINDOW_SECONDS;
        this.#totalRequests -= this.#requests[slot] as number;
        this.#totalRetries -= this.#retries[slot] as number;
        this.#requests[slot] = 0;
        this.#retries[slot] = 0;
      }
      this.#second = now;
    }
    return now % WINDOW_SECONDS;
  }

  request(): void {
    const slot = this.#advance();
    this.#requests[slot] = (this.#requests[slot] as number) + 1;
    this.#totalRequests++;
  }

  /** Takes a retry from the budget; false when it is spent. */
  tryRetry(): boolean {
    const slot = this.#advance();
    if (this.#totalRetries >= Math.max(this.#floor, this.#ratio * this.#totalRequests))
      return false;
    this.#retries[slot] = (this.#retries[slot] as number) + 1;
    this.#totalRetries++;
    return true;
  }
}
