// Telemetry overhead: the same authenticated request on the todos service (PGlite) with tracing
// (100% sampling, in-memory span store) and RED metrics on, and with both off, in one run.
// BENCH_OVERHEAD_ROUTE picks the request: `get` (GET /api/v1/todos/<id>, served from the cache:
// one server span) or `list` (GET /api/v1/todos?limit=20, a database query: a server span and a
// query span). The shared machine moves throughput by tens of percent from one second to the
// next, and two processes of the same build and settings differ by up to ~15% for their whole
// life (placement, JIT), so each variant runs in several processes (BENCH_OVERHEAD_PROCESSES)
// and wrk measures them in short rounds, an "on" run always next to an "off" one. The median of
// those paired on/off ratios is the result; the same pairing of one "off" process against
// another ("off/off") shows how large a difference noise alone makes in this run.
// Target: tracing + metrics cost at most 10% of throughput. Needs wrk (Debian: apt-get install
// -y wrk); exits 2 without it. Not part of `npm test`.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { testTokenIssuer } from '@lattice/platform/testing';
import { positive } from '../support/env.ts';

const settings = {
  seconds: positive('BENCH_OVERHEAD_SECONDS', 4),
  rounds: positive('BENCH_OVERHEAD_ROUNDS', 4),
  processes: positive('BENCH_OVERHEAD_PROCESSES', 3),
  connections: positive('BENCH_OVERHEAD_CONNECTIONS', 32),
};
const onParts = (process.env.BENCH_OVERHEAD_ON || 'tracing,metrics')
  .split(',')
  .map((p) => p.trim());
for (const part of onParts)
  if (part !== 'tracing' && part !== 'metrics')
    throw new Error(`BENCH_OVERHEAD_ON lists ${JSON.stringify(part)}: tracing and/or metrics`);
const route = process.env.BENCH_OVERHEAD_ROUTE || 'get';
if (route !== 'get' && route !== 'list')
  throw new Error(`BENCH_OVERHEAD_ROUTE is ${JSON.stringify(route)}: get or list`);
const out = (line = '') => process.stdout.write(`${line}\n`);

if (spawnSync('wrk', ['-v'], { stdio: 'ignore' }).error) {
  process.stderr.write('bench/overhead needs wrk: apt-get install -y wrk\n');
  process.exit(2);
}

interface WrkResult {
  perSecond: number;
  p99: number;
  requests: number;
  errors: string;
  /** CPU time (user + system) the service's process spent per request, in microseconds. */
  cpuMicros?: number;
}

// Throughput on a shared machine moves with the neighbours' load; the CPU time the service
// spends per request moves much less, so it is measured beside (from /proc, over each run).
const ticksPerSecond =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function milliseconds(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1000 : unit === 'ms' ? n : unit === 's' ? n * 1000 : n * 60_000;
}

function parseWrk(text: string): WrkResult {
  const p99 = text.match(/^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m);
  const rps = text.match(/^Requests\/sec:\s+([\d.]+)/m);
  if (!p99 || !rps) throw new Error(`cannot parse wrk output:\n${text}`);
  const total = text.match(/^\s*(\d+) requests in/m);
  const non2xx = text.match(/Non-2xx or 3xx responses: \d+/)?.[0] ?? '';
  return {
    perSecond: Number(rps[1]),
    p99: milliseconds(p99[1]!, p99[2]!),
    requests: Number(total?.[1] ?? 0),
    errors: non2xx,
  };
}

async function wrk(url: string, token: string, seconds: number, pid?: number): Promise<WrkResult> {
  const cpuBefore = pid ? cpuSeconds(pid) : 0;
  const child = spawn(
    'wrk',
    [
      '-t1',
      `-c${settings.connections}`,
      `-d${seconds}s`,
      '--latency',
      '-H',
      `Authorization: Bearer ${token}`,
      url,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${stdout}`);
  const result = parseWrk(stdout);
  if (pid && result.requests > 0)
    result.cpuMicros = ((cpuSeconds(pid) - cpuBefore) * 1e6) / result.requests;
  return result;
}

interface Instance {
  label: string;
  process?: ChildProcess;
  url?: string;
  results: WrkResult[];
}

async function start(
  instance: Instance,
  env: Record<string, string>,
  jwksUrl: string,
  token: string,
): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./server.ts', import.meta.url))], {
    env: { ...process.env, ...env, AUTH_JWKS_URL: jwksUrl, BENCH_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  instance.process = child;
  let output = '';
  instance.url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      const line = /^READY (\d+) (\S+)$/m.exec(output);
      if (!line) return;
      const base = `http://127.0.0.1:${line[1]}`;
      resolve(route === 'get' ? `${base}${line[2]}` : `${base}/api/v1/todos?limit=20`);
    });
    child.once('exit', (code) =>
      reject(new Error(`${instance.label} exited with ${code}: ${output}`)),
    );
  });
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const onLabel = `${onParts.join(' + ')} on`;
// BENCH_OVERHEAD_ON=tracing or =metrics measures one of the two alone against both off.
const onEnv = {
  TRACING_ENABLED: String(onParts.includes('tracing')),
  METRICS_ENABLED: String(onParts.includes('metrics')),
  OTEL_TRACES_SAMPLER_ARG: '1',
};
const offEnv = { TRACING_ENABLED: 'false', METRICS_ENABLED: 'false' };
const instances = (label: string) =>
  Array.from({ length: settings.processes }, (_, i) => ({
    label: `${label} #${i + 1}`,
    results: [],
  }));
const on: Instance[] = instances('on');
const off: Instance[] = instances('off');

const issuer = await testTokenIssuer();
const token = await issuer.sign();
try {
  await Promise.all([
    ...on.map((instance) => start(instance, onEnv, issuer.jwksUrl, token)),
    ...off.map((instance) => start(instance, offEnv, issuer.jwksUrl, token)),
  ]);
  const request =
    route === 'get' ? 'GET /api/v1/todos/<id> (cached)' : 'GET /api/v1/todos?limit=20 (query)';
  out(
    `bench/overhead: ${request} on todos (PGlite), ${onLabel} vs tracing + metrics off, ${settings.processes} processes each, wrk -t1 -c${settings.connections}, ${settings.rounds} rounds of ${settings.seconds} s per process`,
  );
  out(
    `machine: ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  // Warm-up: JIT, caches, JWKS.
  for (const instance of [...on, ...off]) await wrk(instance.url!, token, 2);
  const pairs: Array<{ on: WrkResult; off: WrkResult }> = [];
  const controls: Array<{ a: WrkResult; b: WrkResult }> = [];
  for (let round = 0; round < settings.rounds; round++) {
    const line: string[] = [];
    for (let i = 0; i < settings.processes; i++) {
      // Pair process i of "on" with a rotating "off" process, and alternate which goes first.
      const a = on[i]!;
      const b = off[(i + round) % settings.processes]!;
      const first = (i + round) % 2 ? [b, a] : [a, b];
      for (const instance of first) {
        const result = await wrk(instance.url!, token, settings.seconds, instance.process!.pid);
        if (result.errors) throw new Error(`${instance.label}: ${result.errors}`);
        instance.results.push(result);
        line.push(`${instance.label} ${result.perSecond.toFixed(0)}`);
      }
      pairs.push({ on: a.results.at(-1)!, off: b.results.at(-1)! });
    }
    // Off against off, back to back: what the same pairing shows when nothing differs.
    const [c1, c2] = [off[round % settings.processes]!, off[(round + 1) % settings.processes]!];
    if (c1 !== c2) {
      // Alternate which goes first, as the on/off pairs do.
      const [first, second] = round % 2 ? [c2, c1] : [c1, c2];
      const x = await wrk(first.url!, token, settings.seconds, first.process!.pid);
      const y = await wrk(second.url!, token, settings.seconds, second.process!.pid);
      const [a, b] = round % 2 ? [y, x] : [x, y];
      controls.push({ a, b });
      line.push(
        `control ${c1.label} ${a.perSecond.toFixed(0)} / ${c2.label} ${b.perSecond.toFixed(0)}`,
      );
    }
    out(`  round ${round + 1}: ${line.join(', ')} req/s`);
  }
  const spread = (ratios: number[]) => {
    const sorted = [...ratios].sort((x, y) => x - y);
    const q = (f: number) => sorted[Math.round(f * (sorted.length - 1))]!;
    return `${median(ratios).toFixed(3)} (middle half ${q(0.25).toFixed(3)}–${q(0.75).toFixed(3)}, n=${ratios.length})`;
  };
  out();
  for (const instance of [...on, ...off])
    out(
      `${instance.label.padEnd(8)} median ${median(instance.results.map((r) => r.perSecond))
        .toFixed(0)
        .padStart(
          6,
        )} req/s  p99 ${median(instance.results.map((r) => r.p99)).toFixed(2)} ms  CPU ${median(
        instance.results.map((r) => r.cpuMicros ?? 0),
      ).toFixed(0)} µs/request`,
    );
  const throughput = pairs.map((p) => p.on.perSecond / p.off.perSecond);
  const cost = (1 - median(throughput)) * 100;
  out(`throughput on/off, median of paired runs: ${spread(throughput)}`);
  out(
    `  cost ${cost.toFixed(1)}% (target ≤ 10% at 100% sampling: ${cost <= 10 ? 'met' : 'NOT met'})`,
  );
  if (controls.length)
    out(
      `  noise, off/off paired the same way: ${spread(controls.map((c) => c.a.perSecond / c.b.perSecond))}`,
    );
  out(`p99 on/off, paired: ${spread(pairs.map((p) => p.on.p99 / p.off.p99))}`);
  out(
    `CPU per request on/off, paired: ${spread(
      pairs.flatMap((p) =>
        p.on.cpuMicros && p.off.cpuMicros ? [p.on.cpuMicros / p.off.cpuMicros] : [],
      ),
    )}`,
  );
} finally {
  for (const instance of [...on, ...off]) {
    if (!instance.process || instance.process.exitCode !== null) continue;
    const exited = once(instance.process, 'exit');
    instance.process.kill('SIGTERM');
    await exited;
  }
  await issuer.close();
}
