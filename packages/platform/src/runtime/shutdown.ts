import type { FastifyBaseLogger } from 'fastify';

/**
 * Runs `stop` on the first SIGTERM or SIGINT. A second signal, or a stop that outlives
 * `timeoutMs`, ends the process at once: an orchestrator's patience is finite, and a hung
 * shutdown is worse than a hard one.
 */
export function onShutdownSignal(
  stop: () => Promise<void>,
  options: { timeoutMs: number; logger: FastifyBaseLogger },
): void {
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    stopping = true;
    options.logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      options.logger.error(
        { timeoutMs: options.timeoutMs },
        'graceful shutdown timed out; exiting',
      );
      process.exit(1);
    }, options.timeoutMs);
    timer.unref();
    stop().then(
      () => {
        options.logger.info('shut down cleanly');
        process.exit(0);
      },
      (error) => {
        options.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', handler);
  process.once('SIGINT', handler);
}
