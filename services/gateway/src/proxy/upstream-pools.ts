import { Pool } from 'undici';

/**
 * One keep-alive pool per upstream instance, created on first use. Reusing connections is
 * most of a proxy's speed: a new TCP connection per request costs more than the request.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #connections: number;

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

  /** An instance discovery no longer lists: its requests in flight finish, then it closes. */
  release(origin: string): void {
    const pool = this.#pools.get(origin);
    if (!pool) return;
    this.#pools.delete(origin);
    pool.close().catch(() => {});
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
    this.#pools.clear();
  }
}
