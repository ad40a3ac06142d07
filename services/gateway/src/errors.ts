import { defineError } from '@lattice/platform';

export const GatewayErrors = {
  unknownService: defineError('GATEWAY_UNKNOWN_SERVICE', 404, 'No such service'),
  upstreamDown: defineError('GATEWAY_UPSTREAM_DOWN', 503, 'Upstream service unavailable'),
  upstreamBusy: defineError('GATEWAY_UPSTREAM_BUSY', 503, 'Upstream service busy'),
  upstreamFailed: defineError('GATEWAY_UPSTREAM_FAILED', 502, 'Upstream service failed'),
  upstreamTimeout: defineError('GATEWAY_UPSTREAM_TIMEOUT', 504, 'Upstream service timed out'),
  rateLimited: defineError('GATEWAY_RATE_LIMITED', 429, 'Too many requests'),
  corsOriginDenied: defineError('GATEWAY_CORS_ORIGIN_DENIED', 403, 'Origin not allowed'),
} as const;
