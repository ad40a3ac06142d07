import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { eventually } from './support/fleet.ts';
import { startIssuer } from './support/issuer.ts';
import { json, startUpstream } from './support/upstream.ts';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Pids of the live processes whose parent is `parent`. */
function childrenOf(parent: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === parent && state !== 'Z') out.push(Number(entry));
    } catch {
      // Gone between readdir and read.
    }
  }
  return out;
}

describe('GATEWAY_WORKERS', { skip: process.platform !== 'linux' && 'reads /proc' }, () => {
  test('several processes share the port; a dead one is replaced; SIGTERM stops them all', async (t) => {
    const orders = await startUpstream(t, (_req, res) => json(res, 200, { ok: true }));
    const issuer = await startIssuer(t);
    const port = await freePort();
    const gateway: ChildProcess = spawn(process.execPath, [main], {
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        GATEWAY_WORKERS: '2',
        SERVICE_URLS: `orders=${orders.url}`,
        AUTH_JWKS_URL: issuer.jwksUrl,
        GATEWAY_HEALTH_CHECK_INTERVAL_MS: '0',
        SHUTDOWN_DRAIN_DELAY_MS: '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    gateway.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    let stdout = '';
    gateway.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const listeningLines = () => stdout.match(/"msg":"gateway worker listening"/g)?.length ?? 0;
    t.after(() => {
      if (gateway.exitCode === null) gateway.kill('SIGKILL');
    });
    const primary = gateway.pid as number;
    const authorization = `Bearer ${issuer.sign()}`;
    const get = async () => {
      // A new connection each time: the primary hands connections to the workers in turn.
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/orders/1`, {
        headers: { authorization, connection: 'close' },
      });
      await res.arrayBuffer();
      return res.status;
    };
    await eventually('both workers listen', () => listeningLines() === 2, 60_000);
    assert.equal(await get(), 200);

    const workers = childrenOf(primary);
    const statuses = await Promise.all(Array.from({ length: 10 }, get));
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(workers.length, 2);

    process.kill(workers[0] as number, 'SIGKILL');
    await eventually(
      'a new worker replaces the dead one',
      () => {
        const now = childrenOf(primary);
        return now.length === 2 && !now.includes(workers[0] as number);
      },
      30_000,
    );
    await eventually('the new worker listens', () => listeningLines() === 3, 60_000);
    assert.equal(await get(), 200);

    gateway.kill('SIGTERM');
    const [code] = (await once(gateway, 'exit')) as [number | null];
    assert.equal(code, 0, stderr);
    assert.deepEqual(childrenOf(primary), []);
  });
});
