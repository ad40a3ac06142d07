import type { ServiceUpstream } from './service-upstream.ts';
import type { ActiveHealth, UpstreamInstance } from './upstream-instance.ts';

async function probe(instance: UpstreamInstance, timeoutMs: number): Promise<ActiveHealth> {
  try {
    const { statusCode, body } = await instance.pool.request({
      method: 'GET',
      path: '/health/ready',
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
    });
    await body.dump();
    if (statusCode === 200) return 'ready';
    // The kit answers 503 while an instance drains before shutdown (and while a dependency
    // is down): either way it should get no new requests.
    return statusCode === 503 ? 'draining' : 'down';
  } catch {
    return 'down';
  }
}

/**
 * Active health checks: every instance's /health/ready on a timer, so a draining instance
 * stops getting requests before it closes, and a dead one before a request finds out.
 */
export class HealthChecker {
  readonly #services: () => ServiceUpstream[];
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(services: () => ServiceUpstream[], intervalMs: number, timeoutMs: number) {
    this.#services = services;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  start(): void {
    if (this.#intervalMs <= 0 || this.#timer) return;
    this.#timer = setInterval(() => {
      // A round slower than the interval is not stacked on by the next.
      this.#running ??= this.checkAll().finally(() => {
        this.#running = undefined;
      });
    }, this.#intervalMs);
    this.#timer.unref();
  }

  async checkAll(): Promise<void> {
    const instances = this.#services().flatMap((service) => service.instances);
    await Promise.all(
      instances.map(async (instance) => {
        instance.setHealth(await probe(instance, this.#timeoutMs));
      }),
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }
}
