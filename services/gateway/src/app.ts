import type { ServiceDefinition } from '@lattice/platform';
import { gatewayConfig } from './config.ts';
import { registerProxyRoutes } from './proxy/proxy-routes.ts';
import { UpstreamPools } from './proxy/upstream-pools.ts';
import { upstreamReadiness } from './upstream-readiness.ts';

/** The single entry point: `/api/v1/<service>/...` is routed to that service. */
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
    registerProxyRoutes(app, context, pools);
  },
};
