import { Pool } from 'undici';

/**
 * One keep-alive pool per upstream instance, created on first use. Reusing connections is
 * most of a proxy's speed: a new TCP connection per request costs more than the request.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #connections: number;
  readonly #cursor = new Map<string, number>();

  constructor(connections: number) {
    this.#connections = connections;
  }

  pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.#connections, keepAliveTimeout: 10_000 });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Round-robin over the instances of a service; smarter balancing comes with discovery. */
  pick(service: string, instances: string[]): string | undefined {
    if (instances.length === 0) return undefined;
    const next = ((this.#cursor.get(service) ?? -1) + 1) % instances.length;
    this.#cursor.set(service, next);
    return instances[next];
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
    this.#pools.clear();
  }
}
