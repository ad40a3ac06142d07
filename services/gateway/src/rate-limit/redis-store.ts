import { traceRedisCommands, withTimeout } from '@lattice/platform';
import type { FastifyBaseLogger } from 'fastify';
import { Redis } from 'ioredis';
import type { BucketSpec } from './bucket-rules.ts';
import type { BucketStore } from './bucket-store.ts';
import type { MemoryStore } from './memory-store.ts';

/**
 * Every bucket of one request checked and taken in one atomic script: one round trip, and no
 * other replica's request can land between the check and the take. Redis's own clock (TIME)
 * refills, so gateway replicas with skewed clocks still agree. Lua numbers come back from
 * Redis truncated to integers, so token counts are returned as strings.
 * KEYS: the buckets. ARGV: capacity and refill per ms of each bucket, in KEYS order.
 * → { 1 when allowed else 0, tokens left in each bucket... }
 */
const TAKE_ALL = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local tokens = {}
local allowed = 1
for i = 1, #KEYS do
  local capacity = tonumber(ARGV[2 * i - 1])
  local rate = tonumber(ARGV[2 * i])
  local state = redis.call('HMGET', KEYS[i], 'tokens', 'at')
  local available = capacity
  if state[1] then
    available = math.min(capacity, tonumber(state[1]) + (now - tonumber(state[2])) * rate)
  end
  tokens[i] = available
  if available < 1 then allowed = 0 end
end
local out = { allowed }
for i = 1, #KEYS do
  local left = tokens[i]
  if allowed == 1 then
    left = left - 1
    local capacity = tonumber(ARGV[2 * i - 1])
    local rate = tonumber(ARGV[2 * i])
    redis.call('HSET', KEYS[i], 'tokens', tostring(left), 'at', tostring(now))
    -- A full bucket and no bucket are the same, so it expires once it would be full.
    redis.call('PEXPIRE', KEYS[i], math.ceil((capacity - left) / rate) + 1000)
  end
  out[i + 1] = tostring(left)
end
return out
`;

interface RateLimitCommands {
  latticeGatewayTakeAll(...args: Array<string | number>): Promise<[number, ...string[]]>;
}

/**
 * Buckets shared by every gateway replica. While Redis cannot be reached (or is slower than
 * the timeout) the buckets of `fallback` decide: each replica then enforces the limits alone,
 * never none. `degraded` says which is the case, for metrics and the ops listing.
 */
export class RedisStore implements BucketStore {
  readonly #redis: Redis & RateLimitCommands;
  readonly #fallback: MemoryStore;
  readonly #log: FastifyBaseLogger;
  readonly #timeoutMs: number;
  #degraded = true;
  #announced = false;
  #closing = false;

  constructor(options: {
    url: string;
    timeoutMs: number;
    fallback: MemoryStore;
    log: FastifyBaseLogger;
  }) {
    this.#fallback = options.fallback;
    this.#log = options.log;
    this.#timeoutMs = options.timeoutMs;
    const redis = new Redis(options.url, {
      connectionName: 'lattice-gateway-rate-limits',
      // Without a connection a check fails at once and local buckets decide, instead of
      // requests queueing behind a reconnection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      // The checks of every request handled in one turn of the event loop go out in one write
      // and come back in one read: under load, a round trip per turn, not per request.
      enableAutoPipelining: true,
    });
    traceRedisCommands(redis);
    // defineCommand sends EVALSHA and falls back to EVAL when Redis does not know the script
    // (first use, or after a restart or SCRIPT FLUSH): the script crosses the wire only then.
    redis.defineCommand('latticeGatewayTakeAll', { lua: TAKE_ALL });
    this.#redis = redis as Redis & RateLimitCommands;
    // Without a listener ioredis prints every connection error to stderr.
    redis.on('error', (error: Error) => this.#down(error));
    redis.on('close', () => this.#down(new Error('connection closed')));
    redis.on('ready', () => this.#up());
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  async take(keys: readonly string[], specs: readonly BucketSpec[], tokens: number[]) {
    if (this.#redis.status !== 'ready') return this.#fallback.takeNow(keys, specs, tokens);
    const args: Array<string | number> = [keys.length];
    for (const key of keys) args.push(key);
    for (const spec of specs) args.push(spec.capacity, spec.refillPerMs);
    try {
      // ioredis's own timeout starts when a command is written, and an auto-pipelined one may
      // wait for the pipeline before it: this bounds the whole check.
      const reply = await withTimeout(this.#redis.latticeGatewayTakeAll(...args), this.#timeoutMs);
      for (let i = 0; i < keys.length; i++) tokens[i] = Number(reply[i + 1]);
      this.#up();
      return reply[0] === 1;
    } catch (error) {
      this.#down(error);
      return this.#fallback.takeNow(keys, specs, tokens);
    }
  }

  #up(): void {
    if (!this.#degraded) return;
    this.#degraded = false;
    if (this.#announced) this.#log.info('rate limits: Redis answers again; limits are shared');
    this.#announced = false;
  }

  #down(error: unknown): void {
    this.#degraded = true;
    if (this.#announced || this.#closing) return;
    this.#announced = true;
    this.#log.warn(
      { err: error },
      'rate limits: Redis does not answer; each gateway replica enforces the limits alone until it does',
    );
  }

  async close(): Promise<void> {
    this.#closing = true;
    if (this.#redis.status === 'ready') {
      try {
        await this.#redis.quit();
        return;
      } catch {
        // fall through: drop the socket
      }
    }
    this.#redis.disconnect();
  }
}
