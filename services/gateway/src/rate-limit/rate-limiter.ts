import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayErrors } from '../errors.ts';
import type { BucketRules, BucketSpec, Scope } from './bucket-rules.ts';
import type { BucketStore } from './bucket-store.ts';

const KEY_PREFIX = 'lattice:gateway:rl:';

export interface RateLimiterOptions {
  rules: BucketRules;
  store: BucketStore;
  onReject(scope: Scope): void;
}

/**
 * Token buckets per client IP, user and tenant, checked together in one store call before a
 * request goes upstream. Answers carry the most restrictive bucket's state in the fields of
 * draft-ietf-httpapi-ratelimit-headers-06 (`RateLimit-Limit`, `-Remaining`, `-Reset` in
 * seconds, `RateLimit-Policy: <limit>;w=<window seconds>`); a refusal is 429 problem+json
 * with `Retry-After`.
 */
export class RateLimiter {
  readonly #rules: BucketRules;
  readonly #store: BucketStore;
  readonly #onReject: (scope: Scope) => void;

  constructor(options: RateLimiterOptions) {
    this.#rules = options.rules;
    this.#store = options.store;
    this.#onReject = options.onReject;
  }

  /**
   * Takes a token for `request` (its identity, when verified, adds the user and tenant
   * buckets); sets the RateLimit fields on `reply`, or throws 429. `ipOnly`: only the IP
   * bucket, for requests refused before they had an identity.
   */
  async check(request: FastifyRequest, reply: FastifyReply, ipOnly = false): Promise<void> {
    const specs = this.#rules.resolve(request.method, request.url);
    const keys: string[] = [];
    const applied: BucketSpec[] = [];
    if (specs.ip) {
      keys.push(`${KEY_PREFIX}${specs.ip.name}:${request.ip}`);
      applied.push(specs.ip);
    }
    const identity = ipOnly ? undefined : request.identity;
    if (identity !== undefined) {
      if (specs.user) {
        keys.push(`${KEY_PREFIX}${specs.user.name}:${identity.userId}`);
        applied.push(specs.user);
      }
      if (specs.tenant) {
        keys.push(`${KEY_PREFIX}${specs.tenant.name}:${identity.tenantId}`);
        applied.push(specs.tenant);
      }
    }
    if (keys.length === 0) return;
    const tokens = new Array<number>(keys.length);
    const allowed = await this.#store.take(keys, applied, tokens);

    let worst = 0;
    for (let i = 1; i < tokens.length; i++)
      if ((tokens[i] as number) < (tokens[worst] as number)) worst = i;
    const spec = applied[worst] as BucketSpec;
    const left = tokens[worst] as number;
    const headers = {
      'ratelimit-limit': String(spec.capacity),
      'ratelimit-remaining': String(Math.max(0, Math.floor(left))),
      'ratelimit-reset': String(Math.ceil((spec.capacity - left) / spec.refillPerMs / 1000)),
      'ratelimit-policy': spec.policy,
    };
    if (allowed) {
      reply.headers(headers);
      return;
    }
    // Every empty bucket must have a token again before a retry can pass.
    let waitMs = 0;
    for (let i = 0; i < tokens.length; i++) {
      const t = tokens[i] as number;
      if (t < 1) waitMs = Math.max(waitMs, (1 - t) / (applied[i] as BucketSpec).refillPerMs);
    }
    this.#onReject(spec.scope);
    throw GatewayErrors.rateLimited(
      `Too many requests for this ${spec.scope === 'ip' ? 'client address' : spec.scope}; retry later`,
      { headers: { ...headers, 'retry-after': String(Math.max(1, Math.ceil(waitMs / 1000))) } },
    );
  }

  close(): Promise<void> {
    return this.#store.close();
  }
}
