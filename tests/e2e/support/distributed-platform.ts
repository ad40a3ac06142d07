// The whole system as `npm run start:distributed` runs it (a supervisor, one process per
// service, PostgreSQL and NATS JetStream), for tests and benchmarks that need real processes:
// restarts, kill -9, throughput.
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { type CatalogEntry, portVariable, readServiceCatalog } from '@lattice/platform';
import { testPostgresUrl } from '@lattice/platform/testing';

export const root = fileURLToPath(new URL('../../..', import.meta.url));

/** The HTTP status of a GET, or 0 when nothing answers. */
export async function status(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).status;
  } catch {
    return 0;
  }
}

/** Polls `check` until it answers true; resolves with the milliseconds it took. */
export async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  intervalMs = 100,
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await delay(intervalMs);
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

/** The pid of `parent`'s child running `entry`, read from /proc. */
export function childPid(parent: number, entry: string): number | undefined {
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

export interface DistributedPlatform {
  catalog: CatalogEntry[];
  /** Service name → base URL. */
  urls: Record<string, string>;
  /** Everything the supervisor and the services printed so far. */
  output(): string;
  /** SIGKILLs one service's process; resolves once the supervisor has started a new one. */
  kill(service: string): Promise<void>;
  /** Resolves once the service answers ready. */
  ready(service: string, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the supervisor with every service on ports `default + portOffset` (away from a
 * developer's running system) and waits until each service answers ready.
 */
export async function startDistributed(options: {
  portOffset: number;
  env?: NodeJS.ProcessEnv;
  readyTimeoutMs?: number;
}): Promise<DistributedPlatform> {
  const catalog = readServiceCatalog(root, {});
  const ports = Object.fromEntries(
    catalog.map((e) => [portVariable(e.name), String(e.port + options.portOffset)]),
  );
  const urls = Object.fromEntries(
    catalog.map((e) => [e.name, `http://127.0.0.1:${e.port + options.portOffset}`]),
  );
  const supervisor: ChildProcess = spawn(process.execPath, ['scripts/start-distributed.ts'], {
    cwd: root,
    env: {
      ...process.env,
      POSTGRES_URL: testPostgresUrl(),
      LOG_LEVEL: 'warn',
      ...options.env,
      ...ports,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  supervisor.stdout?.on('data', (chunk) => (output += chunk));
  supervisor.stderr?.on('data', (chunk) => (output += chunk));
  const entry = (service: string) => {
    const found = catalog.find((e) => e.name === service);
    if (!found) throw new Error(`no service ${service} in the catalog`);
    return found;
  };

  const platform: DistributedPlatform = {
    catalog,
    urls,
    output: () => output,
    async ready(service, timeoutMs = 60_000) {
      await until(
        `${service} ready`,
        async () => (await status(`${urls[service]}/health/ready`)) === 200,
        timeoutMs,
      );
    },
    async kill(service) {
      const { mainModule } = entry(service);
      const pid = childPid(supervisor.pid!, mainModule);
      if (!pid) throw new Error(`no process for ${service} under the supervisor:\n${output}`);
      process.kill(pid, 'SIGKILL');
      await until(
        `${service} restarted`,
        async () => {
          const next = childPid(supervisor.pid!, mainModule);
          return next !== undefined && next !== pid;
        },
        30_000,
      );
    },
    async stop() {
      if (supervisor.exitCode !== null || supervisor.signalCode !== null) return;
      const exited = new Promise((resolve) => supervisor.once('exit', resolve));
      supervisor.kill('SIGTERM');
      await exited;
    },
  };
  try {
    await Promise.all(catalog.map((e) => platform.ready(e.name, options.readyTimeoutMs ?? 90_000)));
  } catch (error) {
    await platform.stop();
    throw new Error(`${(error as Error).message}\n--- supervisor output ---\n${output}`);
  }
  return platform;
}
