// The machine's ceiling for small write transactions: `pgbench -N` (TPC-B without the
// contended branch/teller updates) against the same PostgreSQL, run in the same bench run.
import { spawnSync } from 'node:child_process';

export interface PgbenchResult {
  tps: number;
  clients: number;
  seconds: number;
}

function run(args: string[], url: string): string {
  const result = spawnSync('pgbench', args, { encoding: 'utf8', env: { ...process.env } });
  if (result.error)
    throw new Error(`pgbench could not run (${result.error.message}): install postgresql-client`);
  if (result.status !== 0)
    throw new Error(`pgbench ${args.join(' ')} failed on ${url}:\n${result.stderr}`);
  return result.stdout + result.stderr;
}

/** Initialises pgbench's tables in `database` (scale 1) and runs `-N` for `seconds`. */
export function pgbench(
  serverUrl: string,
  database: string,
  seconds: number,
  clients: number,
): PgbenchResult {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const admin = new URL(serverUrl);
  admin.pathname = '/postgres';
  spawnSync('psql', [admin.toString(), '-qc', `DROP DATABASE IF EXISTS ${database}`], {
    encoding: 'utf8',
  });
  const created = spawnSync('psql', [admin.toString(), '-qc', `CREATE DATABASE ${database}`], {
    encoding: 'utf8',
  });
  if (created.status !== 0) throw new Error(`creating ${database} failed: ${created.stderr}`);
  try {
    run(['-i', '-q', '-s', '1', url.toString()], url.toString());
    const output = run(
      [
        '-N',
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(seconds),
        '-M',
        'prepared',
        url.toString(),
      ],
      url.toString(),
    );
    const match = /tps = ([\d.]+)/.exec(output);
    if (!match) throw new Error(`no tps in pgbench's output:\n${output}`);
    return { tps: Number(match[1]), clients, seconds };
  } finally {
    spawnSync('psql', [admin.toString(), '-qc', `DROP DATABASE IF EXISTS ${database}`], {
      encoding: 'utf8',
    });
  }
}
