import { registerTraceRoutes, type ServiceDefinition } from '@lattice/platform';
import { gatewayConfig } from './config.ts';
import { GatewayMetrics } from './gateway-metrics.ts';
import { registerServicesRoute } from './ops/services-route.ts';
import { registerProxyRoutes } from './proxy/proxy-routes.ts';
import { RouteAliases } from './proxy/route-aliases.ts';
import { UpstreamPools } from './proxy/upstream-pools.ts';
import { createRateLimiter } from './rate-limit/create-rate-limiter.ts';
import { corsHeaders, corsPreflight, parseOrigins } from './security/cors.ts';
import { PublicRoutes } from './security/public-routes.ts';
import { securityHeaders } from './security/security-headers.ts';
import { HealthChecker } from './upstream/health-checker.ts';
import { RoutePolicies } from './upstream/route-policies.ts';
import { Upstreams } from './upstream/upstreams.ts';
import { upstreamReadiness } from './upstream-readiness.ts';

/**
 * The single entry point: `/api/v1/<service>/...` is routed to an instance of that service once
 * the caller's access token checks out and its rate limits allow. CORS and security headers
 * are set here for every service at once.
 */
export const service: ServiceDefinition<(typeof gatewayConfig)['properties']> = {
  name: 'gateway',
  description: 'API gateway: routes /api/v1/<service>/... to the services',
  config: gatewayConfig,
  routes(app, context) {
    const config = context.config;
    const policies = new RoutePolicies(config);
    const aliases = RouteAliases.parse(config.GATEWAY_ROUTE_ALIASES, context.name);
    const pools = new UpstreamPools(config.GATEWAY_CONNECTIONS_PER_UPSTREAM);
    let metrics: GatewayMetrics | undefined;
    const upstreams = new Upstreams({
      discovery: context.discovery,
      pools,
      instancePolicy: {
        outlierFailures: config.GATEWAY_OUTLIER_FAILURES,
        ejectionMs: config.GATEWAY_OUTLIER_EJECTION_MS,
        maxEjectionMs: config.GATEWAY_OUTLIER_MAX_EJECTION_MS,
        circuitFailures: config.GATEWAY_CIRCUIT_FAILURES,
        circuitOpenMs: config.GATEWAY_CIRCUIT_OPEN_MS,
      },
      serviceOptions: (name) => ({
        maxConcurrent: policies.maxConcurrent(name),
        virtualNodes: config.GATEWAY_HASH_VIRTUAL_NODES,
        retryBudgetRatio: config.GATEWAY_RETRY_BUDGET_RATIO,
        retryBudgetMinPerSecond: config.GATEWAY_RETRY_BUDGET_MIN_PER_SECOND,
      }),
      onEjection(name, instance) {
        metrics?.ejections.inc({ upstream: name, instance: instance.origin });
        context.log.warn(
          { upstream: name, instance: instance.origin, ejections: instance.ejections },
          'gateway: instance ejected after consecutive failures',
        );
      },
    });
    const { limiter, state: rateLimits } = createRateLimiter(config, context.log, (scope) =>
      metrics?.rateLimitRejections.inc({ scope }),
    );
    metrics = new GatewayMetrics({
      upstreams: () => upstreams.all(context.name),
      rateLimitDegraded: () => rateLimits().degraded,
    });
    const checker = new HealthChecker(
      () => upstreams.all(context.name),
      config.GATEWAY_HEALTH_CHECK_INTERVAL_MS,
      config.GATEWAY_HEALTH_CHECK_TIMEOUT_MS,
    );
    checker.start();
    // Cleanups run last-registered first: stop probing, then drop Redis, then the pools.
    context.onClose(() => pools.close());
    context.onClose(() => limiter?.close());
    context.onClose(() => checker.stop());

    if (config.GATEWAY_READY_REQUIRES_UPSTREAMS) {
      context.readiness.add('upstreams', upstreamReadiness(context.discovery, pools));
    }
    const cors = {
      origins: parseOrigins(config.GATEWAY_CORS_ORIGINS),
      maxAgeSeconds: config.GATEWAY_CORS_MAX_AGE_SECONDS,
    };
    // On the root instance, so they cover health, metrics, 404s and errors too.
    app.addHook('onRequest', corsPreflight(cors));
    const registry = metrics.registry;
    const setCorsHeaders = corsHeaders(cors);
    // One hook, in callback style, for every answer: each hook and each promise is a cost per
    // request on the proxy's hot path.
    app.addHook('onSend', (request, reply, payload, done) => {
      setCorsHeaders(request, reply);
      securityHeaders(request, reply);
      // The kit's registry is private to its /metrics route: the gateway's metrics are
      // appended to that answer (same text format, names prefixed gateway_).
      if (request.url !== '/metrics' || typeof payload !== 'string') return done(null, payload);
      registry.metrics().then(
        (text) => done(null, `${payload}\n${text}`),
        (error: Error) => done(error),
      );
    });

    // The kit's verifier remembers verified tokens until they expire (AUTH_TOKEN_CACHE_SIZE).
    const { authenticate } = context.auth;
    registerTraceRoutes(app, context);
    registerServicesRoute(app, {
      upstreams,
      self: context.name,
      authenticate,
      requireRole: context.auth.requireRole,
      rateLimits,
      aliases,
    });
    // Event streams never end by themselves: without this the server would wait for them
    // forever on shutdown. Ended here, their clients reconnect (with Last-Event-ID) elsewhere.
    const streams = new Set<{ end(): void }>();
    app.addHook('preClose', async () => {
      for (const stream of streams) stream.end();
    });
    registerProxyRoutes(app, {
      streams,
      context,
      upstreams,
      policies,
      aliases,
      publicRoutes: PublicRoutes.parse(config.GATEWAY_PUBLIC_ROUTES),
      authenticate,
      rateLimiter: limiter,
      metrics,
    });
  },
};
