import { Type } from 'typebox';
import { rateLimitConfig } from './rate-limit/rate-limit-config.ts';
import { resilienceConfig } from './upstream/resilience-config.ts';

const ROUTE = String.raw`[A-Z]+ /[^\s,]*`;
const ORIGIN = String.raw`https?://[^\s,/]+`;
const ALIAS = String.raw`[a-z][a-z0-9-]*\s*=\s*[a-z][a-z0-9-]*`;
/** Comma-separated `item`s, spaces allowed around commas, or nothing at all. */
export const listOf = (item: string) => `^\\s*(${item}(\\s*,\\s*${item})*)?\\s*$`;

export const DEFAULT_PUBLIC_ROUTES = [
  'POST /api/v1/auth/register',
  'POST /api/v1/auth/login',
  'POST /api/v1/auth/refresh',
  'POST /api/v1/auth/logout',
  'GET /api/v1/auth/.well-known/jwks.json',
].join(',');

export const gatewayConfig = Type.Object({
  GATEWAY_CONNECTIONS_PER_UPSTREAM: Type.Integer({
    minimum: 1,
    default: 128,
    description: 'Keep-alive connections the gateway keeps open to each upstream instance',
  }),
  GATEWAY_WORKERS: Type.Integer({
    minimum: 1,
    maximum: 64,
    default: 1,
    description:
      'Gateway processes sharing the port (node:cluster) when the gateway runs on its own (src/main.ts); embedded mode always runs one. In-memory rate limits are then per worker: use Redis to share them',
  }),
  GATEWAY_READY_REQUIRES_UPSTREAMS: Type.Boolean({
    default: true,
    description:
      'Readiness also requires every known upstream to be ready (false behind a Kubernetes Service)',
  }),
  GATEWAY_PUBLIC_ROUTES: Type.String({
    pattern: listOf(ROUTE),
    default: DEFAULT_PUBLIC_ROUTES,
    description:
      'Routes reachable without an access token: comma-separated "METHOD /exact/path" (no query, no wildcard); every other /api/v1 route needs one',
  }),
  GATEWAY_ROUTE_ALIASES: Type.String({
    // `none`, since an empty variable means "not set" (the default) to the config loader.
    pattern: `^\\s*none\\s*$|${listOf(ALIAS)}`,
    default: 'products=orders',
    description:
      'Path segments served by a service of another name: comma-separated <segment>=<service>; /api/v1/<segment>/... is forwarded unchanged to <service> (an alias wins over a service of the same name); none: no aliases',
  }),
  GATEWAY_CORS_ORIGINS: Type.String({
    pattern: listOf(ORIGIN),
    default: '',
    description:
      'Browser origins allowed to call the API with credentials: comma-separated exact origins (https://app.example.com); empty: no CORS headers at all',
  }),
  GATEWAY_CORS_MAX_AGE_SECONDS: Type.Integer({
    minimum: 0,
    maximum: 86_400,
    default: 600,
    description: 'How long a browser may cache a preflight answer',
  }),
  ...resilienceConfig.properties,
  ...rateLimitConfig.properties,
});
