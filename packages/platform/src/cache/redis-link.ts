import { Redis } from 'ioredis';
import { traceRedisCommands } from '../telemetry/redis-spans.ts';
import type { CacheLogger, CacheMetrics, CacheOperation } from './options.ts';
import { type CacheCommands, withCacheCommands } from './redis-scripts.ts';

// Closing a connection that is waiting to reconnect leaves a timer of `disconnectTimeout`
// (default 2 s, an option ioredis does not type) that holds a shutting-down process open.
const shortDisconnect = { disconnectTimeout: 100 };

/**
 * The two connections of a distributed cache and their state. An outage is logged once when it
 * starts and once when it ends, not per request or per reconnect attempt; every failed command
 * is still counted.
 */
export class RedisLink {
  readonly commands: Redis & CacheCommands;
  readonly subscriber: Redis;
  readonly #service: string;
  readonly #metrics: CacheMetrics | undefined;
  readonly #logger: CacheLogger | undefined;
  #reachable = true;

  constructor(options: {
    url: string;
    service: string;
    timeoutMs: number;
    metrics: CacheMetrics | undefined;
    logger: CacheLogger | undefined;
  }) {
    this.#service = options.service;
    this.#metrics = options.metrics;
    this.#logger = options.logger;
    this.commands = withCacheCommands(
      new Redis(options.url, {
        ...shortDisconnect,
        connectionName: `lattice-cache-${options.service}`,
        // Without a connection a command fails at once instead of queueing: a read then goes to
        // the database right away rather than waiting for Redis to come back.
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        commandTimeout: options.timeoutMs,
      }),
    );
    // Commands only: the subscriber's one long SUBSCRIBE belongs to no request.
    traceRedisCommands(this.commands);
    this.subscriber = new Redis(options.url, {
      ...shortDisconnect,
      connectionName: `lattice-cache-${options.service}-evictions`,
      // SUBSCRIBE waits for the first connection however long it takes (evictions are only an
      // optimisation); ioredis subscribes again by itself after every reconnect.
      maxRetriesPerRequest: null,
    });
    for (const connection of [this.commands, this.subscriber]) {
      // Without a listener ioredis prints every connection error to stderr.
      connection.on('error', (error: Error) => this.#down(error));
      connection.on('ready', () => this.up());
    }
  }

  /** A command failed: count it, and log if it starts an outage. */
  failed(operation: CacheOperation, error: unknown): void {
    this.#metrics?.error?.(operation);
    this.#down(error);
  }

  up(): void {
    if (this.#reachable) return;
    this.#reachable = true;
    this.#logger?.info({ service: this.#service }, 'cache: Redis answers again');
  }

  #down(error: unknown): void {
    if (!this.#reachable) return;
    this.#reachable = false;
    this.#logger?.warn(
      { service: this.#service, err: error },
      'cache: Redis does not answer; reads go to the database and invalidations fail until it does',
    );
  }

  async close(): Promise<void> {
    await Promise.all([quit(this.commands), quit(this.subscriber)]);
  }
}

async function quit(connection: Redis): Promise<void> {
  // QUIT lets pending replies arrive; a connection that is not up has none, and QUIT on it
  // would wait for a reconnection that may never come.
  if (connection.status === 'ready') {
    try {
      await connection.quit();
      return;
    } catch {
      // fall through: drop the socket
    }
  }
  connection.disconnect();
}
