import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DiscoveryLogger } from '../../src/discovery/index.ts';

/** Short enough to keep the suite fast, long enough for a loaded CI machine to heartbeat in time. */
export const TTL_MS = 1_500;
export const HEARTBEAT_MS = 300;

/** A bucket of this test run alone: parallel files and earlier runs never see each other. */
export function uniqueBucket(label: string): string {
  return `lattice_test_${label}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

/** Polls until `check` holds; resolves with the elapsed milliseconds, rejects after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what = 'condition',
): Promise<number> {
  const started = Date.now();
  for (;;) {
    if (await check()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
}

export interface Logged {
  level: 'info' | 'warn';
  msg: string;
  obj: Record<string, unknown>;
}

/** A logger that remembers, so tests can assert what was reported. */
export function memoryLogger(): DiscoveryLogger & { lines: Logged[] } {
  const lines: Logged[] = [];
  return {
    lines,
    info: (obj, msg) => lines.push({ level: 'info', msg, obj }),
    warn: (obj, msg) => lines.push({ level: 'warn', msg, obj }),
  };
}
