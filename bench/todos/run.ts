// Todos benchmark: list and get throughput through the gateway against the todos service called
// directly, in the same run on the same embedded platform (`npm start`, a child process), so the
// ratio — what the gateway hop costs — compares across machines.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { portVariable, readServiceCatalog } from '@lattice/platform';
import { Pool } from 'undici';
import { positive } from '../support/env.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

const settings = {
  seconds: positive('BENCH_TODOS_SECONDS', 5),
  warmupSeconds: positive('BENCH_TODOS_WARMUP_SECONDS', 2),
  connections: positive('BENCH_TODOS_CONNECTIONS', 16),
  rounds: positive('BENCH_TODOS_ROUNDS', 2),
  todos: positive('BENCH_TODOS_COUNT', 50),
  portOffset: positive('BENCH_TODOS_PORT_OFFSET', 30_000),
};
const out = (line = '') => process.stdout.write(`${line}\n`);

interface Result {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
}

/** `connections` workers, each one request at a time, for `seconds`; every answer must be 200. */
async function load(origin: string, path: string, token: string, seconds: number): Promise<Result> {
  const pool = new Pool(origin, { connections: settings.connections, pipelining: 1 });
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  try {
    await Promise.all(
      Array.from({ length: settings.connections }, async () => {
        while (performance.now() < deadline) {
          const sent = performance.now();
          const response = await pool.request({
            method: 'GET',
            path,
            headers: { authorization: `Bearer ${token}` },
          });
          await response.body.arrayBuffer();
          if (response.statusCode !== 200)
            throw new Error(`${origin}${path} answered ${response.statusCode}`);
          latencies.push(performance.now() - sent);
        }
      }),
    );
  } finally {
    await pool.close();
  }
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
  return {
    requests: latencies.length,
    perSecond: (latencies.length / elapsed) * 1000,
    p50: at(0.5),
    p99: at(0.99),
  };
}

async function untilReady(url: string, child: ChildProcess, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the platform exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(50);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

async function json<T>(response: Response, expected: number): Promise<T> {
  const body = (await response.json()) as T;
  if (response.status !== expected)
    throw new Error(`${response.url} answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const catalog = readServiceCatalog(root, {});
  const ports = Object.fromEntries(catalog.map((e) => [e.name, e.port + settings.portOffset]));
  if (!ports.todos || !ports.gateway) throw new Error('the catalog has no todos or gateway');
  const gateway = `http://127.0.0.1:${ports.gateway}`;
  const direct = `http://127.0.0.1:${ports.todos}`;
  const dataDir = join(tmpdir(), `lattice-bench-todos-${process.pid}`);

  out('# bench:todos');
  out(
    `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  out(
    `${settings.connections} connections, ${settings.seconds} s per measurement (after ${settings.warmupSeconds} s warm-up), ` +
      `${settings.rounds} rounds alternating direct and gateway, median reported; ${settings.todos} todos`,
  );

  // As `npm start` runs it: one process, --liftoff-only, a fresh PGlite.
  const child = spawn(process.execPath, ['--liftoff-only', 'scripts/start-embedded.ts'], {
    cwd: root,
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      ...Object.fromEntries(catalog.map((e) => [portVariable(e.name), String(ports[e.name])])),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    await untilReady(`${gateway}/health/ready`, child);
    const session = await json<{ accessToken: string }>(
      await fetch(`${gateway}/api/v1/auth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          email: `bench-${randomBytes(4).toString('hex')}@example.test`,
          password: 'correct horse battery staple',
          name: 'Bench',
        }),
      }),
      201,
    );
    const token = session.accessToken;
    let last = '';
    for (let i = 0; i < settings.todos; i++) {
      const todo = await json<{ id: string }>(
        await fetch(`${gateway}/api/v1/todos`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ title: `Todo ${i}`, description: 'x'.repeat(200) }),
        }),
        201,
      );
      last = todo.id;
    }

    const routes = [
      { name: 'list (limit=20)', path: '/api/v1/todos?limit=20' },
      { name: 'get one (cached)', path: `/api/v1/todos/${last}` },
    ];
    out();
    out(
      '| route | direct req/s | gateway req/s | gateway/direct | direct p50 / p99 | gateway p50 / p99 |',
    );
    out('|---|---|---|---|---|---|');
    for (const route of routes) {
      await load(direct, route.path, token, settings.warmupSeconds);
      await load(gateway, route.path, token, settings.warmupSeconds);
      const runs: { direct: Result[]; gateway: Result[] } = { direct: [], gateway: [] };
      for (let round = 0; round < settings.rounds; round++) {
        runs.direct.push(await load(direct, route.path, token, settings.seconds));
        runs.gateway.push(await load(gateway, route.path, token, settings.seconds));
      }
      const pick = (results: Result[]) => ({
        perSecond: median(results.map((r) => r.perSecond)),
        p50: median(results.map((r) => r.p50)),
        p99: median(results.map((r) => r.p99)),
      });
      const d = pick(runs.direct);
      const g = pick(runs.gateway);
      const ms = (n: number) => `${n.toFixed(1)} ms`;
      out(
        `| ${route.name} | ${d.perSecond.toFixed(0)} | ${g.perSecond.toFixed(0)} | ${((g.perSecond / d.perSecond) * 100).toFixed(0)}% | ${ms(d.p50)} / ${ms(d.p99)} | ${ms(g.p50)} / ${ms(g.p99)} |`,
      );
    }
  } finally {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
