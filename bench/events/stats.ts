// Small helpers shared by both paths of the events benchmark.
import { randomBytes } from 'node:crypto';

export interface Latency {
  p50: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentiles: each figure is a latency that was actually observed. */
export function latency(samples: number[]): Latency {
  const sorted = samples.toSorted((a, b) => a - b);
  const at = (p: number) => sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
}

export const ms = (value: number) =>
  `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : value.toFixed(0)} ms`;

/** The latest time in a map of times (spread into Math.max would overflow the stack at large N). */
export function lastOf(times: Map<string, number>): number {
  let last = Number.NEGATIVE_INFINITY;
  for (const at of times.values()) if (at > last) last = at;
  return last;
}

export const rate = (count: number, elapsedMs: number) => (count * 1000) / elapsedMs;

/**
 * Resolves once `expected` distinct keys were seen. A run that stalls (a lost event, a stuck
 * relay) must fail with what it was waiting for, not hang the benchmark.
 */
export class Completion {
  readonly seen = new Map<string, number>();
  duplicates = 0;
  readonly #expected: number;
  readonly #done: Promise<void>;
  #resolve!: () => void;

  constructor(expected: number) {
    this.#expected = expected;
    this.#done = new Promise((resolve) => {
      this.#resolve = resolve;
    });
  }

  /** Records the first time `key` was seen (true); later sightings count as duplicates. */
  record(key: string, at: number): boolean {
    if (this.seen.has(key)) {
      this.duplicates += 1;
      return false;
    }
    this.seen.set(key, at);
    if (this.seen.size === this.#expected) this.#resolve();
    return true;
  }

  async wait(label: string, timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(
              `${label}: ${this.seen.size} of ${this.#expected} events arrived within ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
    });
    try {
      await Promise.race([this.#done, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Runs cleanup steps in reverse order of registration, each one even if another failed, so an
 * aborted run still deletes its streams and databases.
 */
export class Cleanup {
  readonly #steps: { label: string; run: () => Promise<unknown> }[] = [];
  #ran: Promise<void> | undefined;

  add(label: string, run: () => Promise<unknown>): void {
    this.#steps.push({ label, run });
  }

  run(): Promise<void> {
    this.#ran ??= (async () => {
      for (const step of this.#steps.toReversed()) {
        try {
          await step.run();
        } catch (error) {
          process.stderr.write(`cleanup: ${step.label} failed: ${(error as Error).message}\n`);
        }
      }
    })();
    return this.#ran;
  }
}

/** A short random suffix for stream, context and database names. */
export function runSuffix(): string {
  return randomBytes(3).toString('hex');
}
