import type { ServiceDefinition } from '@lattice/platform';
import { gatewayConfig } from './config.ts';
import { registerProxyRoutes } from './proxy/proxy-routes.ts';
import { UpstreamPools } from './proxy/upstream-pools.ts';
import { corsHeaders, corsPreflight, parseOrigins } from './security/cors.ts';
import { PublicRoutes } from './security/public-routes.ts';
import { securityHeaders } from './security/security-headers.ts';
import { upstreamReadiness } from './upstream-readiness.ts';

/**
 * The single entry point: `/api/v1/<service>/...` is routed to that service once the caller's
 * access token checks out. CORS and security headers are set here for every service at once.
 */
export const service: ServiceDefinition<(typeof gatewayConfig)['properties']> = {
  name: 'gateway',
  description: 'API gateway: routes /api/v1/<service>/... to the services',
  config: gatewayConfig,
  routes(app, context) {
    const pools = new UpstreamPools(context.config.GATEWAY_CONNECTIONS_PER_UPSTREAM);
    context.onClose(() => pools.close());
    if (context.config.GATEWAY_READY_REQUIRES_UPSTREAMS) {
      context.readiness.add('upstreams', upstreamReadiness(context.discovery, pools));
    }
    const cors = {
      origins: parseOrigins(context.config.GATEWAY_CORS_ORIGINS),
      maxAgeSeconds: context.config.GATEWAY_CORS_MAX_AGE_SECONDS,
    };
    // On the root instance, so they cover health, metrics, 404s and errors too.
    app.addHook('onRequest', corsPreflight(cors));
    app.addHook('onSend', corsHeaders(cors));
    app.addHook('onSend', securityHeaders);
    registerProxyRoutes(
      app,
      context,
      pools,
      PublicRoutes.parse(context.config.GATEWAY_PUBLIC_ROUTES),
    );
  },
};
