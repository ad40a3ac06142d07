import type { FastifyInstance } from 'fastify';
import { PlatformErrors } from './errors.ts';
import { sendProblem } from './problem.ts';
import { withTimeout } from './with-timeout.ts';

export type ReadinessCheck = () => Promise<unknown>;

interface CheckResult {
  status: 'up' | 'down';
  durationMs: number;
  error?: string;
}

const CHECK_TIMEOUT_MS = 2_000;

/**
 * Readiness is "can this instance serve traffic now": every dependency answers and the instance
 * is not draining. Liveness is only "the event loop turns"; it never checks dependencies, so an
 * outage of a database does not make an orchestrator restart every service.
 */
export class Readiness {
  readonly #checks = new Map<string, ReadinessCheck>();
  #draining = false;

  add(name: string, check: ReadinessCheck): void {
    this.#checks.set(name, check);
  }

  startDraining(): void {
    this.#draining = true;
  }

  get draining(): boolean {
    return this.#draining;
  }

  async run(): Promise<{ ready: boolean; checks: Record<string, CheckResult> }> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, check]): Promise<[string, CheckResult]> => {
        const started = performance.now();
        try {
          await withTimeout(check(), CHECK_TIMEOUT_MS);
          return [name, { status: 'up', durationMs: Math.round(performance.now() - started) }];
        } catch (error) {
          const message = (error as Error)?.message || String(error);
          return [
            name,
            { status: 'down', durationMs: Math.round(performance.now() - started), error: message },
          ];
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    return { ready: entries.every(([, r]) => r.status === 'up'), checks };
  }
}

export function registerHealthRoutes(app: FastifyInstance, readiness: Readiness): void {
  // Probes are not logged per request (see isProbe in create-service.ts).
  const hide = { schema: { hide: true } };
  app.get('/health/live', hide, async () => ({ status: 'live' }));
  app.get('/health/ready', hide, async (request, reply) => {
    if (readiness.draining) {
      return sendProblem(
        request,
        reply,
        PlatformErrors.shuttingDown('The instance is draining before shutdown'),
      );
    }
    const { ready, checks } = await readiness.run();
    if (ready) return { status: 'ready', checks };
    const failed = Object.entries(checks)
      .filter(([, r]) => r.status === 'down')
      .map(([name, r]) => `${name}: ${r.error}`);
    return sendProblem(
      request,
      reply,
      PlatformErrors.unavailable(`Not ready: ${failed.join('; ')}`, { extensions: { checks } }),
    );
  });
}
