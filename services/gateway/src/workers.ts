import cluster from 'node:cluster';

/** The primary's few lines, in the services' JSON log format (pino's levels: 30 info, 50 error). */
function log(level: 30 | 50, msg: string, fields: Record<string, unknown>): void {
  const line = { level, time: Date.now(), service: 'gateway', role: 'primary', ...fields, msg };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/**
 * One Node process uses one core for JavaScript; a gateway on a multi-core machine runs
 * GATEWAY_WORKERS processes with node:cluster. The primary holds the listening socket and
 * hands each new connection to a worker in turn, so the workers share one port; with
 * keep-alive clients that is a cost per connection, not per request. Each worker is a whole
 * gateway (its own pools, breakers, token cache and health checks); rate limits are shared
 * only through Redis: with in-memory buckets each worker enforces the limits alone.
 *
 * The primary restarts a worker that dies, forwards SIGTERM/SIGINT to every worker (each
 * drains and closes as a single gateway would) and exits once they all have.
 */
export async function runWorkers(count: number, startWorker: () => Promise<void>): Promise<void> {
  if (count <= 1 || !cluster.isPrimary) {
    await startWorker();
    return;
  }
  let stopping = false;
  const listening = new Set<number>();
  cluster.on('listening', (worker, address) => {
    listening.add(worker.id);
    log(30, 'gateway worker listening', { worker: worker.process.pid, port: address.port });
  });
  for (let i = 0; i < count; i++) cluster.fork();
  cluster.on('exit', (worker, code, signal) => {
    const started = listening.delete(worker.id);
    if (stopping) {
      if (Object.keys(cluster.workers ?? {}).length === 0) process.exit(process.exitCode ?? 0);
      return;
    }
    // One that exited by itself before it listened failed to start (a bad config): another
    // would fail the same way. One killed by a signal (the OOM killer, an operator) is replaced.
    if (!started && signal === null) {
      log(50, 'gateway worker failed to start; stopping', { worker: worker.process.pid, code });
      process.exitCode = 1;
      stop('SIGTERM');
      return;
    }
    log(50, 'gateway worker exited; starting another', {
      worker: worker.process.pid,
      exit: signal ?? code,
    });
    cluster.fork();
  });
  function stop(signal: NodeJS.Signals): void {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {});
    if (workers.length === 0) process.exit(process.exitCode ?? 0);
    for (const worker of workers) worker?.process.kill(signal);
  }
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
}

/**
 * GATEWAY_WORKERS as the primary needs it before any config is loaded (the workers validate it
 * again with the rest of the config): a positive integer, 1 when unset.
 */
export function workerCount(env: NodeJS.ProcessEnv): number {
  const raw = env.GATEWAY_WORKERS;
  if (raw === undefined || raw === '') return 1;
  const count = Number(raw);
  if (!Number.isInteger(count) || count < 1 || count > 64) {
    process.stderr.write(
      `GATEWAY_WORKERS must be an integer from 1 to 64, not ${JSON.stringify(raw)}\n`,
    );
    process.exit(1);
  }
  return count;
}
