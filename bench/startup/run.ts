// Startup benchmark: cold and warm start of the embedded platform (`npm start`) until the
// gateway's /health/ready answers 200, and the resident memory with every service up.
// A bare Node HTTP server is measured in the same run as the baseline, so the figures can be
// compared across machines as ratios.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const warmRuns = Number(process.env.BENCH_WARM_RUNS || 3);
const port = Number(process.env.BENCH_GATEWAY_PORT || 18080);
const dataDir = join(tmpdir(), `lattice-bench-${process.pid}`);

function status(pid: number, key: 'VmRSS' | 'VmHWM'): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key}:`));
  return Number(line?.replace(/\D+/g, '') ?? 0) * 1024;
}

async function untilReady(url: string, child: ChildProcess, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`process exited with ${child.exitCode} before it was ready`);
    try {
      const response = await fetch(url);
      if (response.status === 200) return;
    } catch {
      // Not listening yet.
    }
    await delay(20);
  }
  throw new Error(`${url} not ready within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Sample {
  ms: number;
  rss: number;
  peak: number;
}

async function measure(args: string[], env: NodeJS.ProcessEnv, url: string): Promise<Sample> {
  const started = performance.now();
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  try {
    await untilReady(url, child);
    const ms = performance.now() - started;
    // Let start-up garbage be collected and lazy work settle before reading resident memory.
    await delay(1_000);
    return { ms, rss: status(child.pid!, 'VmRSS'), peak: status(child.pid!, 'VmHWM') };
  } finally {
    await stop(child);
  }
}

const baselineServer = `require('node:http').createServer((q,s)=>s.end('ok')).listen(${port + 1})`;
const median = (values: number[]) =>
  values.toSorted((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

// The same flags as `npm start` (see package.json): Liftoff-only WebAssembly halves PGlite's memory.
const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '--liftoff-only').split(' ').filter(Boolean);
const platformEnv = { DATA_DIR: dataDir, GATEWAY_PORT: String(port), LOG_LEVEL: 'warn' };
const platformArgs = [...nodeFlags, join(root, 'scripts', 'start-embedded.ts')];
const readyUrl = `http://127.0.0.1:${port}/health/ready`;

rmSync(dataDir, { recursive: true, force: true });
try {
  const baseline: number[] = [];
  for (let i = 0; i < warmRuns; i++) {
    baseline.push((await measure(['-e', baselineServer], {}, `http://127.0.0.1:${port + 1}/`)).ms);
  }
  const cold = await measure(platformArgs, platformEnv, readyUrl);
  const warm: Sample[] = [];
  for (let i = 0; i < warmRuns; i++) warm.push(await measure(platformArgs, platformEnv, readyUrl));

  const base = median(baseline);
  const warmMs = median(warm.map((s) => s.ms));
  const rss = median(warm.map((s) => s.rss));
  const peak = Math.max(cold.peak, ...warm.map((s) => s.peak));
  const lines = [
    `node ${process.version}, ${warmRuns} warm runs, medians`,
    `baseline (bare node http server ready): ${base.toFixed(0)} ms`,
    `cold start (empty data dir) to ready:   ${cold.ms.toFixed(0)} ms  (${(cold.ms / base).toFixed(1)}x baseline)`,
    `warm start to ready:                    ${warmMs.toFixed(0)} ms  (${(warmMs / base).toFixed(1)}x baseline)  target <= 3000 ms`,
    `resident memory, all services up:      ${mb(rss)}  target <= 1024 MiB`,
    `peak resident memory during start:     ${mb(peak)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
