import { Pool } from 'undici';

/**
 * One keep-alive pool per upstream instance, created on first use. Reusing connections is
 * most of a proxy's speed: a new TCP connection per request costs more than the request.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();
  readonly #streamPools = new Map<string, Pool>();
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

  /**
   * Event streams hold a connection for as long as the client listens: they get pools of their
   * own without a connection cap, so a thousand listeners neither wait behind the capped pool
   * nor starve ordinary requests of its connections. The bulkhead still bounds them.
   */
  streamPool(origin: string): Pool {
    let pool = this.#streamPools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: null, keepAliveTimeout: 10_000 });
      this.#streamPools.set(origin, pool);
    }
    return pool;
  }

  /** An instance discovery no longer lists: its requests in flight finish, then it closes. */
  release(origin: string): void {
    for (const pools of [this.#pools, this.#streamPools]) {
      const pool = pools.get(origin);
      if (!pool) continue;
      pools.delete(origin);
      pool.close().catch(() => {});
    }
  }

  async close(): Promise<void> {
    const pools = [...this.#pools.values()];
    const streams = [...this.#streamPools.values()];
    this.#pools.clear();
    this.#streamPools.clear();
    // Streams were ended before the server closed; whatever is left is cut, not awaited.
    await Promise.all([
      ...pools.map((pool) => pool.close()),
      ...streams.map((pool) => pool.destroy()),
    ]);
  }
}
