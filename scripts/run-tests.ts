// `npm test`: every test file of the repository, with the servers they need checked first.
// In CI (CI=true) a missing server fails the run; elsewhere its tests are skipped and one line
// says what to start.
import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { infrastructure, probe } from '@lattice/platform/testing';

const inCi = process.env.CI === 'true' || process.env.CI === '1';
const env: NodeJS.ProcessEnv = { ...process.env };
const missing: string[] = [];

await Promise.all(
  infrastructure.map(async (entry) => {
    const problem = await probe(entry);
    if (!problem) return;
    missing.push(entry.label);
    env[`LATTICE_SKIP_${entry.name.toUpperCase()}`] = '1';
    const verb = inCi ? 'is required in CI' : 'tests are skipped';
    process.stderr.write(
      `${entry.label} at ${entry.url} does not answer (${problem}): ${verb}; start it with: ${entry.start}\n`,
    );
  }),
);
if (inCi && missing.length > 0) process.exit(1);

const patterns =
  process.argv.slice(2).length > 0
    ? process.argv.slice(2)
    : [
        'packages/*/test/**/*.test.ts',
        'services/*/test/**/*.test.ts',
        'scripts/**/*.test.ts',
        'tests/**/*.test.ts',
      ];
// Tests mostly wait on I/O and PGlite; two files per core keeps a 2-core machine busy, not thrashing.
const concurrency = String(Math.max(2, availableParallelism()));
const result = spawnSync(
  process.execPath,
  ['--test', `--test-concurrency=${concurrency}`, ...patterns],
  {
    stdio: 'inherit',
    env,
  },
);
process.exit(result.status ?? 1);
