import { createHash } from 'node:crypto';
import { type Database, randomBase64url } from '@lattice/platform';
import type { SandboxDb } from '../data/schema.ts';
import type { OutageSwitch } from './outage.ts';

export interface SandboxDeps {
  database: Database<SandboxDb>;
  outage: OutageSwitch;
  slowMs: number;
  flakyFailures: number;
}

/** `ch_` + 24 random characters (18 bytes), as processors spell their ids. */
export function newId(prefix: 'ch' | 're'): string {
  return `${prefix}_${randomBase64url(18)}`;
}

/** Same parameters ⇔ same hash: key order and absent optional fields do not matter. */
export function parametersHash(parameters: Record<string, unknown>): string {
  const canonical = Object.keys(parameters)
    .sort()
    .filter((key) => parameters[key] !== undefined)
    .map((key) => [key, parameters[key]]);
  return createHash('sha256').update(JSON.stringify(canonical)).digest('hex');
}
