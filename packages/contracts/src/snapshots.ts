import { fileURLToPath } from 'node:url';
import type { EventContract } from './contract.ts';

/**
 * A published schema frozen as JSON in `packages/contracts/schemas/<type>.json`. Once written it
 * is never edited: the compatibility test compares each current schema against it.
 */
export interface SchemaSnapshot {
  type: string;
  version: number;
  schema: unknown;
  examples: unknown[];
}

export const schemasDir = fileURLToPath(new URL('../schemas/', import.meta.url));

export function snapshotPath(type: string): string {
  return `${schemasDir}${type}.json`;
}

export function schemaSnapshot(contract: EventContract): SchemaSnapshot {
  // A JSON round trip keeps only what JSON Schema says (TypeBox adds symbol-keyed metadata).
  return JSON.parse(
    JSON.stringify({
      type: contract.type,
      version: contract.version,
      schema: contract.schema,
      examples: contract.examples,
    }),
  ) as SchemaSnapshot;
}
