// Telemetry overhead: the same authenticated read (GET /api/v1/todos/<id> on the todos
// service, PGlite, cached) with tracing (100% sampling, in-memory span store) and RED metrics
// on, and with both off, in one run. Each variant is its own process; wrk measures them in
// alternating rounds so the machine's load drifts over both alike; medians are compared.
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
  seconds: positive('BENCH_OVERHEAD_SECONDS', 8),
  rounds: positive('BENCH_OVERHEAD_ROUNDS', 3),
  connections: positive('BENCH_OVERHEAD_CONNECTIONS', 32),
};
const onParts = (process.env.BENCH_OVERHEAD_ON || 'tracing,metrics')
  .split(',')
  .map((p) => p.trim());
for (const part of onParts)
  if (part !== 'tracing' && part !== 'metrics')
    throw new Error(`BENCH_OVERHEAD_ON lists ${JSON.stringify(part)}: tracing and/or metrics`);
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

interface Variant {
  label: string;
  env: Record<string, string>;
  process?: ChildProcess;
  url?: string;
  results: WrkResult[];
}

async function start(variant: Variant, jwksUrl: string, token: string): Promise<void> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./server.ts', import.meta.url))], {
    env: { ...process.env, ...variant.env, AUTH_JWKS_URL: jwksUrl, BENCH_TOKEN: token },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  variant.process = child;
  let output = '';
  const ready = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk;
      const line = /^READY (\d+) (\S+)$/m.exec(output);
      if (line) resolve(`http://127.0.0.1:${line[1]}${line[2]}`);
    });
    child.once('exit', (code) =>
      reject(new Error(`${variant.label} exited with ${code}: ${output}`)),
    );
  });
  variant.url = ready;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

const variants: Variant[] = [
  {
    label: `${onParts.join(' + ')} on`,
    // BENCH_OVERHEAD_ON=tracing or =metrics measures one of the two alone against both off.
    env: {
      TRACING_ENABLED: String(onParts.includes('tracing')),
      METRICS_ENABLED: String(onParts.includes('metrics')),
      OTEL_TRACES_SAMPLER_ARG: '1',
    },
    results: [],
  },
  {
    label: 'tracing + metrics off',
    env: { TRACING_ENABLED: 'false', METRICS_ENABLED: 'false' },
    results: [],
  },
];

const issuer = await testTokenIssuer();
const token = await issuer.sign();
try {
  for (const variant of variants) await start(variant, issuer.jwksUrl, token);
  out(
    `bench/overhead: GET /api/v1/todos/<id> (todos, PGlite), wrk -t1 -c${settings.connections}, ${settings.rounds} rounds of ${settings.seconds} s per variant, alternating`,
  );
  out(
    `machine: ${cpus().length} CPUs, load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
  // Warm-up: JIT, caches, JWKS.
  for (const variant of variants) await wrk(variant.url!, token, 2);
  for (let round = 1; round <= settings.rounds; round++) {
    // Alternate which variant goes first, so neither always follows the other's garbage.
    const order = round % 2 ? variants : [...variants].reverse();
    for (const variant of order) {
      const result = await wrk(variant.url!, token, settings.seconds, variant.process!.pid);
      if (result.errors) throw new Error(`${variant.label}: ${result.errors}`);
      variant.results.push(result);
      out(
        `  round ${round} ${variant.label.padEnd(22)} ${result.perSecond.toFixed(0).padStart(7)} req/s  p99 ${result.p99.toFixed(2)} ms`,
      );
    }
  }
  const [on, off] = variants.map((v) => ({
    label: v.label,
    rps: median(v.results.map((r) => r.perSecond)),
    p99: median(v.results.map((r) => r.p99)),
    cpu: median(v.results.map((r) => r.cpuMicros ?? 0)),
  }));
  out();
  for (const v of [on!, off!])
    out(
      `${v.label.padEnd(22)} median ${v.rps.toFixed(0).padStart(7)} req/s  p99 ${v.p99.toFixed(2)} ms`,
    );
  const ratio = on!.rps / off!.rps;
  const cost = (1 - ratio) * 100;
  out(
    `throughput on/off: ${ratio.toFixed(3)} (cost ${cost.toFixed(1)}%; target ≤ 10%: ${cost <= 10 ? 'met' : 'NOT met'})`,
  );
  out(`p99 on/off: ${(on!.p99 / off!.p99).toFixed(2)}x`);
  out(
    `CPU per request on/off: ${(on!.cpu / off!.cpu).toFixed(3)} (+${(on!.cpu - off!.cpu).toFixed(0)} µs; the figure least moved by the machine's other load)`,
  );
} finally {
  for (const variant of variants) {
    if (!variant.process || variant.process.exitCode !== null) continue;
    const exited = once(variant.process, 'exit');
    variant.process.kill('SIGTERM');
    await exited;
  }
  await issuer.close();
}
