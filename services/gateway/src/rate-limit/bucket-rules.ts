import { pathMatches } from '../upstream/route-policies.ts';

export type Scope = 'ip' | 'user' | 'tenant';

/** One token bucket definition: `capacity` tokens, refilled `capacity` per `windowMs`. */
export interface BucketSpec {
  scope: Scope;
  capacity: number;
  windowMs: number;
  refillPerMs: number;
  /** Names the bucket family in storage keys: `ip`, or `ip@POST /api/v1/auth/login`. */
  name: string;
  /** `RateLimit-Policy` value (draft-06): `10;w=60`. */
  policy: string;
}

export type ScopeSpecs = Readonly<Partial<Record<Scope, BucketSpec>>>;

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000 } as const;

/** `10/1m`, `100/s`, `off` (validated by the config schema's pattern). */
export function parseRate(text: string, scope: Scope, name: string): BucketSpec | undefined {
  if (text === 'off') return undefined;
  const match = /^(\d+)\/(\d*)([smh])$/.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a rate like 10/1m`);
  const capacity = Number(match[1]);
  const windowMs = Number(match[2] || 1) * UNIT_MS[match[3] as keyof typeof UNIT_MS];
  if (capacity <= 0 || windowMs <= 0) return undefined;
  return {
    scope,
    capacity,
    windowMs,
    refillPerMs: capacity / windowMs,
    name,
    policy: `${capacity};w=${Math.ceil(windowMs / 1000)}`,
  };
}

interface RouteRule {
  method: string;
  path: string;
  prefix: boolean;
  specs: ScopeSpecs;
}

/**
 * Which buckets apply to a request: the global ones, except where a route of
 * GATEWAY_RATE_LIMIT_ROUTES names its own for a scope. Resolved to whole `ScopeSpecs` at
 * start, so a request only compares strings.
 */
export class BucketRules {
  readonly global: ScopeSpecs;
  readonly #routes: RouteRule[] = [];

  constructor(global: Record<Scope, string>, routes: string) {
    this.global = {
      ip: parseRate(global.ip, 'ip', 'ip'),
      user: parseRate(global.user, 'user', 'user'),
      tenant: parseRate(global.tenant, 'tenant', 'tenant'),
    };
    for (const entry of routes.split(';')) {
      const words = entry.trim().split(/\s+/).filter(Boolean);
      if (words.length === 0) continue;
      const [method, path, ...limits] = words as [string, string, ...string[]];
      const route = `${method} ${path}`;
      const specs: Partial<Record<Scope, BucketSpec>> = { ...this.global };
      for (const limit of limits) {
        const [scope, rate] = limit.split('=') as [Scope, string];
        const spec = parseRate(rate, scope, `${scope}@${route}`);
        if (spec) specs[scope] = spec;
        else delete specs[scope];
      }
      const prefix = path.endsWith('*');
      this.#routes.push({ method, path: prefix ? path.slice(0, -1) : path, prefix, specs });
    }
  }

  /** Whether any bucket applies to any request. */
  any(): boolean {
    const some = (specs: ScopeSpecs) => Boolean(specs.ip || specs.user || specs.tenant);
    return some(this.global) || this.#routes.some((route) => some(route.specs));
  }

  /** `url` as received, query included. */
  resolve(method: string, url: string): ScopeSpecs {
    for (const route of this.#routes) {
      if (route.method === method && pathMatches(url, route.path, route.prefix)) return route.specs;
    }
    return this.global;
  }
}
