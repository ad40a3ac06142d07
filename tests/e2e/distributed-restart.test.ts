import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { portVariable, readServiceCatalog } from '@lattice/platform';
import { needs, testPostgresUrl } from '@lattice/platform/testing';

const root = fileURLToPath(new URL('../..', import.meta.url));
// Ports away from the defaults, so a developer's running `npm start` does not collide.
const PORT_OFFSET = 10_000;

async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 0;
  }
}

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await delay(100);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/** The pid of `parent`'s child running `entry`, read from /proc. */
function childPid(parent: number, entry: string): number | undefined {
  for (const name of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== parent) continue;
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(entry)) return Number(name);
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}

test('distributed mode: a service killed with SIGKILL is restarted and the gateway is ready again', {
  skip: needs('postgres'),
  timeout: 120_000,
}, async () => {
  const catalog = readServiceCatalog(root, {});
  const ports = Object.fromEntries(
    catalog.map((e) => [portVariable(e.name), String(e.port + PORT_OFFSET)]),
  );
  const supervisor: ChildProcess = spawn(process.execPath, ['scripts/start-distributed.ts'], {
    cwd: root,
    env: { ...process.env, ...ports, POSTGRES_URL: testPostgresUrl(), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  supervisor.stdout?.on('data', (chunk) => (output += chunk));
  supervisor.stderr?.on('data', (chunk) => (output += chunk));
  after(async () => {
    if (supervisor.exitCode === null) {
      const exited = new Promise((resolve) => supervisor.once('exit', resolve));
      supervisor.kill('SIGTERM');
      await exited;
    }
  });

  const gateway = catalog.find((e) => e.name === 'gateway')!;
  const ready = `http://127.0.0.1:${gateway.port + PORT_OFFSET}/health/ready`;
  await until('first readiness', async () => (await status(ready)) === 200, 60_000);

  // The victim is a service behind the gateway when there is one, else the gateway itself.
  const victim = catalog.find((e) => e.name !== 'gateway') ?? gateway;
  const pid = childPid(supervisor.pid!, victim.mainModule);
  assert.ok(pid, `no process for ${victim.name} under the supervisor:\n${output}`);
  process.kill(pid, 'SIGKILL');

  await until(
    `${victim.name} restarted`,
    async () => {
      const next = childPid(supervisor.pid!, victim.mainModule);
      return next !== undefined && next !== pid;
    },
    30_000,
  );
  await until('readiness after the restart', async () => (await status(ready)) === 200, 60_000);
  assert.match(output, new RegExp(`${victim.name} exited .*restarting`));
});
