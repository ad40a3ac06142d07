// A NATS server with JetStream of the bench's own: fresh streams and consumer groups each run.
// On a shared server, events a previous run left unconsumed (a run stopped early, consumers
// behind at its end) would be delivered to this run's services from their first second.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrivateNats {
  url: string;
  stop(): Promise<void>;
}

const BINARIES = ['nats-server', '/usr/sbin/nats-server', '/usr/bin/nats-server'];

function findBinary(): string | undefined {
  return BINARIES.find((binary) => spawnSync(binary, ['--version']).status === 0);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => {
      socket.end();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });
}

/** Starts one on `port`, or resolves undefined when no nats-server binary is installed. */
export async function startPrivateNats(port: number): Promise<PrivateNats | undefined> {
  const binary = findBinary();
  if (!binary) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'lattice-bench-nats-'));
  const server: ChildProcess = spawn(
    binary,
    ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir],
    { stdio: 'ignore' },
  );
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  // Never outlives the bench, whatever way it ends.
  const killOnExit = () => server.kill('SIGKILL');
  process.once('exit', killOnExit);
  const stop = async () => {
    process.off('exit', killOnExit);
    if (server.exitCode === null && server.signalCode === null) {
      server.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const started = Date.now();
  while (!(await listening(port))) {
    if (server.exitCode !== null || Date.now() - started > 10_000) {
      await stop();
      throw new Error(`nats-server did not start on port ${port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `nats://127.0.0.1:${port}`, stop };
}
