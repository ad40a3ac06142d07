import { ROLES, type ServiceApp } from '@lattice/platform';
import type { FastifyRequest } from 'fastify';
import type { RouteAliases } from '../proxy/route-aliases.ts';
import type { Upstreams } from '../upstream/upstreams.ts';

export interface RateLimitState {
  store: 'redis' | 'memory' | 'off';
  /** Redis unreachable: each replica enforces the limits alone. */
  degraded: boolean;
}

export interface ServicesRouteOptions {
  upstreams: Upstreams;
  self: string;
  authenticate(request: FastifyRequest): Promise<void>;
  requireRole(...roles: string[]): (request: FastifyRequest) => Promise<void>;
  rateLimits(): RateLimitState;
  aliases: RouteAliases;
}

/** A `performance.now()` deadline as wall-clock time, for people. */
function wallClock(at: number): string {
  return new Date(Date.now() + (at - performance.now())).toISOString();
}

/**
 * The operator's view of what the gateway routes to and what it has learned about each
 * instance. Platform admins only: it names internal addresses.
 */
export function registerServicesRoute(app: ServiceApp, options: ServicesRouteOptions): void {
  const { upstreams } = options;
  app.get(
    '/api/v1/gateway/services',
    {
      preHandler: [options.authenticate, options.requireRole(ROLES.platformAdmin)],
      schema: {
        summary: 'Upstream services, their instances and health (platform admins)',
        tags: ['gateway'],
      },
    },
    async () => {
      const now = performance.now();
      return {
        rateLimits: options.rateLimits(),
        aliases: options.aliases.toJSON(),
        services: upstreams.all(options.self).map((service) => ({
          name: service.name,
          aliases: options.aliases.of(service.name),
          inFlight: service.inFlight,
          maxConcurrent: service.maxConcurrent,
          usableInstances: service.usableCount(),
          instances: service.instances.map((instance) => ({
            url: instance.origin,
            usable: instance.usable,
            health: instance.health,
            healthCheckedAt: instance.healthCheckedAt?.toISOString() ?? null,
            ejected: instance.ejected(now),
            ejectedUntil: instance.ejected(now) ? wallClock(instance.ejectedUntil) : null,
            ejections: instance.ejections,
            circuit: instance.circuit,
            circuitOpenUntil: instance.circuit === 'open' ? wallClock(instance.openUntil) : null,
            inFlight: instance.inFlight,
            consecutiveFailures: instance.consecutiveFailures,
          })),
        })),
      };
    },
  );
}
