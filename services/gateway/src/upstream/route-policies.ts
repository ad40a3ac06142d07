import { Type } from 'typebox';
import { Value } from 'typebox/value';
import type { gatewayConfig } from '../config.ts';
import { BALANCERS, type Balancer, HASH_KEY_PATTERN } from './resilience-config.ts';

type Config = import('typebox').Static<typeof gatewayConfig>;

export type HashKey =
  | { kind: 'tenant' }
  | { kind: 'user' }
  | { kind: 'ip' }
  | { kind: 'header'; name: string };

/** How one request is sent upstream. Shared, never built per request. */
export interface RoutePolicy {
  balancer: Balancer;
  hashKey: HashKey;
  timeoutMs: number;
  retries: number;
  /** Long-lived answers (server-sent events): no connection cap, the stream idle timeout. */
  stream: boolean;
}

interface Rule {
  methods: ReadonlySet<string> | undefined;
  /** Exact path, or a prefix when `prefix`. */
  path: string | undefined;
  prefix: boolean;
  policy: RoutePolicy;
}

const Entry = Type.Object(
  {
    service: Type.String({ pattern: '^[a-z][a-z0-9-]*$' }),
    methods: Type.Optional(Type.Array(Type.String({ pattern: '^[A-Z]+$' }), { minItems: 1 })),
    path: Type.Optional(Type.String({ pattern: '^/\\S*$' })),
    balancer: Type.Optional(Type.Union(BALANCERS.map((b) => Type.Literal(b)))),
    hashKey: Type.Optional(Type.String({ pattern: HASH_KEY_PATTERN })),
    timeoutMs: Type.Optional(Type.Integer({ minimum: 1 })),
    retries: Type.Optional(Type.Integer({ minimum: 0, maximum: 5 })),
    stream: Type.Optional(Type.Boolean()),
    maxConcurrent: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);
const Entries = Type.Array(Entry);

export function parseHashKey(text: string): HashKey {
  if (text.startsWith('header:')) return { kind: 'header', name: text.slice(7).toLowerCase() };
  return { kind: text as 'tenant' | 'user' | 'ip' };
}

/**
 * GATEWAY_ROUTES resolved once at start: per service, its rules in order, each carrying a whole
 * policy (the defaults filled in), so a request finds its policy with a few string compares and
 * no allocation.
 */
export class RoutePolicies {
  readonly defaults: RoutePolicy;
  readonly #rules = new Map<string, Rule[]>();
  readonly #maxConcurrent = new Map<string, number>();
  readonly #defaultMaxConcurrent: number;

  constructor(config: Config) {
    this.defaults = {
      balancer: config.GATEWAY_LOAD_BALANCER as Balancer,
      hashKey: parseHashKey(config.GATEWAY_HASH_KEY),
      timeoutMs: config.GATEWAY_UPSTREAM_TIMEOUT_MS,
      retries: config.GATEWAY_RETRIES,
      stream: false,
    };
    this.#defaultMaxConcurrent = config.GATEWAY_MAX_CONCURRENT_PER_UPSTREAM;
    let entries: unknown;
    try {
      entries = JSON.parse(config.GATEWAY_ROUTES);
    } catch (error) {
      throw new Error(`GATEWAY_ROUTES is not JSON: ${(error as Error).message}`);
    }
    if (!Value.Check(Entries, entries)) {
      const first = Value.Errors(Entries, entries)[0];
      throw new Error(
        `GATEWAY_ROUTES is not valid: ${first ? `${first.instancePath || '/'} ${first.message}` : 'see the README'}`,
      );
    }
    for (const entry of entries) {
      if (entry.maxConcurrent !== undefined) {
        if (entry.methods || entry.path)
          throw new Error(
            `GATEWAY_ROUTES: maxConcurrent is per service; the entry for ${entry.service} may not name methods or a path`,
          );
        this.#maxConcurrent.set(entry.service, entry.maxConcurrent);
      }
      const rules = this.#rules.get(entry.service) ?? [];
      const path = entry.path;
      rules.push({
        methods: entry.methods ? new Set(entry.methods) : undefined,
        path: path?.endsWith('*') ? path.slice(0, -1) : path,
        prefix: path?.endsWith('*') ?? false,
        policy: {
          balancer: entry.balancer ?? this.defaults.balancer,
          hashKey: entry.hashKey ? parseHashKey(entry.hashKey) : this.defaults.hashKey,
          timeoutMs: entry.timeoutMs ?? this.defaults.timeoutMs,
          retries: entry.retries ?? this.defaults.retries,
          stream: entry.stream ?? false,
        },
      });
      this.#rules.set(entry.service, rules);
    }
  }

  maxConcurrent(service: string): number {
    return this.#maxConcurrent.get(service) ?? this.#defaultMaxConcurrent;
  }

  /** `url` as received (query included). */
  resolve(service: string, method: string, url: string): RoutePolicy {
    const rules = this.#rules.get(service);
    if (rules === undefined) return this.defaults;
    for (const rule of rules) {
      if (rule.methods !== undefined && !rule.methods.has(method)) continue;
      if (rule.path !== undefined && !pathMatches(url, rule.path, rule.prefix)) continue;
      return rule.policy;
    }
    return this.defaults;
  }
}

/** Compares the path of `url` without slicing off its query. */
export function pathMatches(url: string, path: string, prefix: boolean): boolean {
  if (!url.startsWith(path)) return false;
  if (prefix || url.length === path.length) return true;
  return url.charCodeAt(path.length) === 63; // '?'
}
