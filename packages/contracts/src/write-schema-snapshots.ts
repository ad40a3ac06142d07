// Freezes the schema of every published event type that has no snapshot yet
// (`node packages/contracts/src/write-schema-snapshots.ts`). Existing snapshots are never
// rewritten: changing a published version means publishing a new version instead. Run
// `biome format --write packages/contracts/schemas` afterwards (it folds short arrays).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { publishedContracts } from './registry.ts';
import { schemaSnapshot, schemasDir, snapshotPath } from './snapshots.ts';

mkdirSync(schemasDir, { recursive: true });
for (const contract of publishedContracts) {
  const path = snapshotPath(contract.type);
  if (existsSync(path)) continue;
  writeFileSync(path, `${JSON.stringify(schemaSnapshot(contract), null, 2)}\n`);
  process.stdout.write(`wrote ${path}\n`);
}
