import type { FastifyBaseLogger } from 'fastify';

export interface DrainLoop {
  /** Runs a round soon; a wake during a round runs one more right after it. */
  wake(): void;
  stop(): Promise<void>;
}

/**
 * Runs `round` when woken (LISTEN/NOTIFY) and every `pollMs` as a safety net, one round at a
 * time. A round answering true found a full batch and runs again at once.
 */
export function startDrainLoop(options: {
  name: string;
  pollMs: number;
  log: FastifyBaseLogger;
  round: () => Promise<boolean>;
}): DrainLoop {
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const run = async () => {
    do {
      again = false;
      try {
        if (await options.round()) again = true;
      } catch (error) {
        if (!stopped) options.log.warn({ err: error, loop: options.name }, 'round failed; retried');
      }
    } while (again && !stopped);
  };

  const wake = () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
    });
  };

  const timer = setInterval(wake, options.pollMs);
  timer.unref();
  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
