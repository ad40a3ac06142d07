// Gateway benchmark: the same request (GET /api/v1/todos/<id>, a valid bearer token) measured
// with wrk in one run, against one upstream: direct, through nginx, through HAProxy and through
// the Lattice gateway (its own child process, auth on, rate limits off). Done twice: on the real
// todos service (PGlite) and on a trivial node:http upstream, since the todos service may itself
// be the bottleneck and make every proxy look alike. Needs nginx, haproxy and wrk (Debian:
// `apt-get install -y nginx-light haproxy wrk`); exits 2 without them. Not part of `npm test`.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createService, type ServiceInstance } from '@lattice/platform';
import {
  createTestDatabase,
  type TestDatabase,
  type TestTokenIssuer,
  testTokenIssuer,
} from '@lattice/platform/testing';
import { service as todosService } from '../../services/todos/src/app.ts';
import { positive } from '../support/env.ts';

const here = fileURLToPath(new URL('.', import.meta.url));

const settings = {
  seconds: positive('BENCH_GATEWAY_SECONDS', 10),
  warmupSeconds: positive('BENCH_GATEWAY_WARMUP_SECONDS', 2),
  connections: positive('BENCH_GATEWAY_CONNECTIONS', 64),
  threads: positive('BENCH_GATEWAY_THREADS', 2),
  // Gateway processes (GATEWAY_WORKERS); above 1, nginx is measured with as many workers too.
  workers: positive('BENCH_GATEWAY_WORKERS', 1),
  // `trivial`, `todos` or both (default): the trivial upstream alone isolates the proxies.
  upstreams: (process.env.BENCH_GATEWAY_UPSTREAMS || 'todos,trivial')
    .split(',')
    .map((u) => u.trim()),
};
for (const name of settings.upstreams)
  if (name !== 'todos' && name !== 'trivial')
    throw new Error(`BENCH_GATEWAY_UPSTREAMS lists ${JSON.stringify(name)}: todos or trivial`);
const halfConnections = Math.max(1, Math.floor(settings.connections / 2));
const out = (line = '') => process.stdout.write(`${line}\n`);

// ---- tools --------------------------------------------------------------------------------

const tools = { nginx: ['-v'], haproxy: ['-v'], wrk: ['-v'] } as const;
const missing = Object.entries(tools)
  .filter(([tool, args]) => spawnSync(tool, [...args], { stdio: 'ignore' }).error !== undefined)
  .map(([tool]) => tool);
if (missing.length > 0) {
  process.stderr.write(
    `bench:gateway needs ${missing.join(', ')} on PATH (not a project dependency).\n` +
      'Debian/Ubuntu: apt-get install -y nginx-light haproxy wrk\n',
  );
  process.exit(2);
}

// ---- cleanup --------------------------------------------------------------------------------

const children = new Set<ChildProcess>();
const tempDirs: string[] = [];
const closers: Array<() => Promise<void>> = [];

async function stopChild(child: ChildProcess): Promise<void> {
  children.delete(child);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const done = await Promise.race([exited.then(() => true), delay(3000).then(() => false)]);
  if (!done) {
    child.kill('SIGKILL');
    await exited;
  }
}

async function cleanup(): Promise<void> {
  await Promise.allSettled([...children].map(stopChild));
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

function killChildrenNow(): void {
  for (const child of children) child.kill('SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
}
process.on('exit', killChildrenNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    killChildrenNow();
    process.exit(130);
  });

function start(command: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
  children.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  child.on('exit', (code, signal) => {
    if (children.has(child) && code !== 0)
      process.stderr.write(`${command} exited (${code ?? signal}): ${stderr}\n`);
  });
  return child;
}

// ---- helpers --------------------------------------------------------------------------------

async function freePort(): Promise<number> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function untilOk(url: string, token: string, child?: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  let last = '';
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null) throw new Error(`${url}: the proxy exited`);
    try {
      const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
      await response.arrayBuffer();
      if (response.status === 200) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = String(error);
    }
    await delay(100);
  }
  throw new Error(`${url} did not answer 200 within 30 s (${last})`);
}

interface WrkResult {
  perSecond: number;
  p50: number;
  p99: number;
  requests: number;
  /** Non-2xx answers and connect/read/write errors: the run is invalid. */
  errors: string;
  /** Requests wrk gave up on after 2 s: reported, since on a loaded machine they happen. */
  timeouts: number;
}

function milliseconds(value: string, unit: string): number {
  const n = Number(value);
  if (unit === 'us') return n / 1000;
  if (unit === 'ms') return n;
  if (unit === 's') return n * 1000;
  if (unit === 'm') return n * 60_000;
  throw new Error(`unknown wrk unit ${unit}`);
}

function parseWrk(text: string): WrkResult {
  const percentile = (p: string) => {
    const match = text.match(new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, 'm'));
    if (!match) throw new Error(`wrk output has no ${p}% latency:\n${text}`);
    return milliseconds(match[1]!, match[2]!);
  };
  const rps = text.match(/^Requests\/sec:\s+([\d.]+)/m);
  const total = text.match(/^\s*(\d+) requests in/m);
  if (!rps || !total) throw new Error(`cannot parse wrk output:\n${text}`);
  const socket = text.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  const errors = [
    text.match(/Non-2xx or 3xx responses: \d+/)?.[0],
    socket?.slice(1, 4).some((n) => n !== '0') ? socket[0] : undefined,
  ]
    .filter(Boolean)
    .join('; ');
  return {
    perSecond: Number(rps[1]),
    p50: percentile('50'),
    p99: percentile('99'),
    requests: Number(total[1]),
    errors,
    timeouts: Number(socket?.[4] ?? 0),
  };
}

async function wrk(
  url: string,
  token: string,
  connections: number,
  seconds: number,
): Promise<WrkResult> {
  const threads = Math.min(settings.threads, connections);
  const child = start('wrk', [
    `-t${threads}`,
    `-c${connections}`,
    `-d${seconds}s`,
    '--latency',
    '-H',
    `Authorization: Bearer ${token}`,
    url,
  ]);
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  children.delete(child);
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${stdout}`);
  return parseWrk(stdout);
}

// ---- CPU per request ------------------------------------------------------------------------
// Throughput on a shared machine moves with the neighbours' load; the CPU time a proxy spends
// per request moves much less, so it is printed beside (utime + stime of the proxy process
// and its descendants, from /proc, over the full-load run).

const ticksPerSecond =
  Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

function cpuSeconds(root: number): number {
  const parents = new Map<number, number>();
  const ticks = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command: state ppid ... utime(14) stime(15).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      parents.set(Number(entry), Number(fields[1]));
      ticks.set(Number(entry), Number(fields[11]) + Number(fields[12]));
    } catch {
      // Gone between readdir and read.
    }
  }
  let total = 0;
  for (const [pid, own] of ticks) {
    for (let at: number | undefined = pid; at !== undefined && at > 1; at = parents.get(at)) {
      if (at === root) {
        total += own;
        break;
      }
    }
  }
  return total / ticksPerSecond;
}

// ---- proxies --------------------------------------------------------------------------------

interface Target {
  name: string;
  url: string;
  /** The proxy's process (its workers are its descendants); none for direct. */
  pid?: number;
  stop(): Promise<void>;
}

async function startNginx(
  upstream: number,
  path: string,
  token: string,
  workers: number,
): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-bench-nginx-'));
  tempDirs.push(dir);
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream lattice_upstream {
    server 127.0.0.1:${upstream};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://lattice_upstream;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
`,
  );
  const child = start('nginx', ['-p', dir, '-c', conf]);
  const url = `http://127.0.0.1:${port}${path}`;
  await untilOk(url, token, child);
  return {
    name: workers === 1 ? 'nginx' : `nginx, ${workers} workers`,
    url,
    pid: child.pid,
    stop: () => stopChild(child),
  };
}

async function startHaproxy(upstream: number, path: string, token: string): Promise<Target> {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-bench-haproxy-'));
  tempDirs.push(dir);
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(
    cfg,
    `global
  nbthread 1
  maxconn 4000

defaults
  mode http
  option http-keep-alive
  timeout connect 5s
  timeout client 30s
  timeout server 30s

frontend bench
  bind 127.0.0.1:${port}
  default_backend upstream

backend upstream
  http-reuse always
  server s1 127.0.0.1:${upstream}
`,
  );
  const child = start('haproxy', ['-db', '-f', cfg]);
  const url = `http://127.0.0.1:${port}${path}`;
  await untilOk(url, token, child);
  return { name: 'HAProxy', url, pid: child.pid, stop: () => stopChild(child) };
}

async function startGateway(
  upstream: number,
  path: string,
  token: string,
  jwksUrl: string,
): Promise<Target> {
  const child = start(process.execPath, [join(here, 'gateway-child.ts')], {
    ...process.env,
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    SERVICE_URLS: `todos=http://127.0.0.1:${upstream}`,
    AUTH_JWKS_URL: jwksUrl,
    GATEWAY_RATE_LIMIT_IP: 'off',
    GATEWAY_RATE_LIMIT_USER: 'off',
    GATEWAY_RATE_LIMIT_TENANT: 'off',
    GATEWAY_WORKERS: String(settings.workers),
  });
  let buffered = '';
  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the gateway did not start in 60 s')), 60_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      // Every worker says so once it listens; all share one address.
      const lines = [...buffered.matchAll(/^listening (\S+)$/gm)];
      if (lines.length >= settings.workers) {
        clearTimeout(timer);
        resolve(lines[0]![1]!);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the gateway exited with ${code}`));
    });
  });
  const url = `${address}${path}`;
  await untilOk(url, token, child);
  return {
    name:
      settings.workers === 1 ? 'Lattice gateway' : `Lattice gateway, ${settings.workers} workers`,
    url,
    pid: child.pid,
    stop: () => stopChild(child),
  };
}

// ---- upstreams ------------------------------------------------------------------------------

interface Upstream {
  label: string;
  port: number;
  path: string;
}

async function startTodos(issuer: TestTokenIssuer, token: string): Promise<Upstream> {
  const database: TestDatabase = await createTestDatabase('todos', 'pglite');
  closers.push(() => database.cleanup());
  const todos: ServiceInstance = await createService(todosService, {
    env: { AUTH_JWKS_URL: issuer.jwksUrl, LOG_LEVEL: 'silent', NODE_ENV: 'production' },
    database: database.database,
  });
  closers.push(async () => {
    todos.app.server.closeAllConnections();
    await todos.close();
  });
  const address = await todos.listen(0);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const response = await fetch(`${address}/api/v1/todos`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ title: `bench todo ${i}` }),
    });
    const body = (await response.json()) as { id?: string };
    if (response.status !== 201 || !body.id)
      throw new Error(`creating a todo answered ${response.status}: ${JSON.stringify(body)}`);
    ids.push(body.id);
  }
  return {
    label: 'todos service (PGlite, in the bench process)',
    port: Number(new URL(address).port),
    path: `/api/v1/todos/${ids[2]}`,
  };
}

async function startTrivial(): Promise<Upstream> {
  const body = JSON.stringify({
    id: '00000000-0000-4000-8000-000000000000',
    title: 'bench todo',
    completed: false,
  });
  const server: Server = createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  return {
    label: 'trivial node:http upstream (fixed JSON body, in the bench process)',
    port: (server.address() as AddressInfo).port,
    path: '/api/v1/todos/00000000-0000-4000-8000-000000000000',
  };
}

// ---- measuring ------------------------------------------------------------------------------

interface Row {
  name: string;
  full: WrkResult;
  half: WrkResult;
  /** The proxy's CPU time per request at full load. */
  cpuMicros: number | undefined;
}

const fmt = (ms: number) => `${ms.toFixed(2)} ms`;

async function measure(upstream: Upstream, token: string, jwksUrl: string): Promise<Row[]> {
  out();
  out(`## upstream: ${upstream.label}`);
  const direct: Target = {
    name: 'direct',
    url: `http://127.0.0.1:${upstream.port}${upstream.path}`,
    stop: async () => {},
  };
  await untilOk(direct.url, token);
  const rows: Row[] = [];
  const starters = [
    async () => direct,
    () => startNginx(upstream.port, upstream.path, token, 1),
    () => startHaproxy(upstream.port, upstream.path, token),
    () => startGateway(upstream.port, upstream.path, token, jwksUrl),
  ];
  if (settings.workers > 1)
    starters.push(() => startNginx(upstream.port, upstream.path, token, settings.workers));
  for (const startTarget of starters) {
    const target = await startTarget();
    try {
      await wrk(target.url, token, settings.connections, settings.warmupSeconds);
      const cpuBefore = target.pid === undefined ? 0 : cpuSeconds(target.pid);
      const full = await wrk(target.url, token, settings.connections, settings.seconds);
      const cpuMicros =
        target.pid === undefined
          ? undefined
          : ((cpuSeconds(target.pid) - cpuBefore) * 1e6) / full.requests;
      const half = await wrk(target.url, token, halfConnections, settings.seconds);
      for (const result of [full, half])
        if (result.errors) throw new Error(`${target.name}: wrk reported ${result.errors}`);
      rows.push({ name: target.name, full, half, cpuMicros });
      const timeouts = full.timeouts + half.timeouts;
      out(
        `  ${target.name}: ${full.perSecond.toFixed(0)} req/s, p50 ${fmt(full.p50)}, p99 ${fmt(full.p99)}` +
          `${cpuMicros === undefined ? '' : `, ${cpuMicros.toFixed(0)} µs CPU/request`}` +
          ` | half load: ${half.perSecond.toFixed(0)} req/s, p99 ${fmt(half.p99)}` +
          `${timeouts > 0 ? ` | ${timeouts} wrk timeouts (> 2 s)` : ''}`,
      );
    } finally {
      await target.stop();
    }
  }
  report(rows);
  return rows;
}

function report(rows: Row[]): void {
  const [direct, nginx] = rows as [Row, Row];
  out();
  out(
    `| ${settings.connections} connections | req/s | p50 | p99 | ×nginx | CPU/request | added p99 | half load (${halfConnections} conn.) p99 | added p99 at half load |`,
  );
  out('|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const ratio =
      row === direct ? '—' : `${(row.full.perSecond / nginx.full.perSecond).toFixed(2)}×`;
    const added = row === direct ? '—' : fmt(row.full.p99 - direct.full.p99);
    const addedHalf = row === direct ? '—' : fmt(row.half.p99 - direct.half.p99);
    out(
      `| ${row.name} | ${row.full.perSecond.toFixed(0)} | ${fmt(row.full.p50)} | ${fmt(row.full.p99)} | ${ratio} | ${row.cpuMicros === undefined ? '—' : `${row.cpuMicros.toFixed(0)} µs`} | ${added} | ${fmt(row.half.p99)} | ${addedHalf} |`,
    );
  }
  const gateway = rows.find((r) => r.name.startsWith('Lattice gateway'))!;
  const ratio = gateway.full.perSecond / nginx.full.perSecond;
  const addedHalf = gateway.half.p99 - direct.half.p99;
  out();
  if (gateway.cpuMicros !== undefined && nginx.cpuMicros !== undefined)
    out(
      `  CPU per request: gateway ${gateway.cpuMicros.toFixed(0)} µs, nginx ${nginx.cpuMicros.toFixed(0)} µs (nginx needs ${((100 * nginx.cpuMicros) / gateway.cpuMicros).toFixed(0)}% of the gateway's)`,
    );
  if (settings.workers === 1) {
    out(
      `  target Lattice ≥ 0.8× nginx throughput, one worker each: ${ratio.toFixed(2)}× — ${ratio >= 0.8 ? 'met' : 'NOT met'}`,
    );
  } else {
    const peer = rows.find((r) => r.name === `nginx, ${settings.workers} workers`)!;
    const fair = gateway.full.perSecond / peer.full.perSecond;
    out(
      `  ${settings.workers} gateway workers: ${ratio.toFixed(2)}× nginx with 1 worker, ${fair.toFixed(2)}× nginx with ${settings.workers} workers (the issue's target is one worker each)`,
    );
  }
  out(
    `  target added p99 ≤ 2 ms at half load: ${fmt(addedHalf)} — ${addedHalf < 0 ? 'inconclusive (direct p99 above the proxied one: noise)' : addedHalf <= 2 ? 'met' : 'NOT met'}`,
  );
  const spread =
    Math.max(...rows.map((r) => r.full.perSecond)) / Math.min(...rows.map((r) => r.full.perSecond));
  if (spread < 1.15)
    out('  note: every target within 15% of each other: the upstream is likely the bottleneck');
}

async function main(): Promise<void> {
  out('# bench:gateway');
  out(
    `node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown'}), load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const version = (tool: string, args: string[]) => {
    const result = spawnSync(tool, args, { encoding: 'utf8' });
    return `${result.stdout}${result.stderr}`.split('\n')[0]!.trim();
  };
  out(`${version('nginx', ['-v'])}; ${version('haproxy', ['-v'])}; ${version('wrk', ['-v'])}`);
  out(
    `wrk: ${settings.threads} threads, ${settings.connections} connections, ${settings.seconds} s after a ${settings.warmupSeconds} s warm-up; ` +
      `"half load" approximated by ${halfConnections} connections (closed loop, no wrk2 fixed rate)`,
  );
  out(
    `nginx: 1 worker${settings.workers > 1 ? ` (and ${settings.workers})` : ''}, upstream keepalive 128; HAProxy: nbthread 1, keep-alive, http-reuse always; ` +
      `Lattice gateway: ${settings.workers} worker process(es), auth on, rate limits off, LOG_LEVEL=warn, TRACING_ENABLED=${process.env.TRACING_ENABLED ?? 'default'}`,
  );

  const issuer = await testTokenIssuer();
  closers.push(() => issuer.close());
  const token = await issuer.sign();

  if (settings.upstreams.includes('todos'))
    await measure(await startTodos(issuer, token), token, issuer.jwksUrl);
  if (settings.upstreams.includes('trivial'))
    await measure(await startTrivial(), token, issuer.jwksUrl);
  out();
  out(
    `load average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

let failed = false;
try {
  await main();
} catch (error) {
  failed = true;
  process.stderr.write(
    `bench:gateway failed: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
