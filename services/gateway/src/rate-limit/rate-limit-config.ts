import { Type } from 'typebox';

/** `<count>/<window>`: `10/1m`, `100/s`, `5000/10s`, `20000/1h`; or `off`. */
export const RATE = String.raw`(\d+/\d*[smh]|off)`;

export const DEFAULT_RATE_LIMIT_ROUTES = 'POST /api/v1/auth/login ip=10/1m';

/**
 * Token buckets: `<count>/<window>` holds at most `count` tokens (the burst) and refills
 * `count` per window, one request taking one token.
 */
export const rateLimitConfig = Type.Object({
  GATEWAY_RATE_LIMIT_STORE: Type.Union(
    [Type.Literal('auto'), Type.Literal('redis'), Type.Literal('memory')],
    {
      default: 'auto',
      description:
        'Where buckets live: redis (shared by every gateway replica), memory (this process), auto: memory when LATTICE_MODE=embedded, else redis',
    },
  ),
  GATEWAY_RATE_LIMIT_IP: Type.String({
    pattern: `^${RATE}$`,
    default: '6000/1m',
    description: 'Bucket per client IP, on every /api/v1 request; off: none',
  }),
  GATEWAY_RATE_LIMIT_USER: Type.String({
    pattern: `^${RATE}$`,
    default: '3000/1m',
    description: 'Bucket per user (the verified token sub); off: none',
  }),
  GATEWAY_RATE_LIMIT_TENANT: Type.String({
    pattern: `^${RATE}$`,
    default: '30000/1m',
    description: 'Bucket per tenant (the verified token tid); off: none',
  }),
  GATEWAY_RATE_LIMIT_ROUTES: Type.String({
    pattern: String.raw`^\s*([A-Z]+ /\S*(\s+(ip|user|tenant)=${RATE})+\s*(;\s*[A-Z]+ /\S*(\s+(ip|user|tenant)=${RATE})+\s*)*)?;?\s*$`,
    default: DEFAULT_RATE_LIMIT_ROUTES,
    description:
      'Per-route buckets replacing the global ones: "METHOD /path scope=rate ..." separated by ";"; a path ending in * is a prefix (e.g. POST /api/v1/auth/login ip=10/1m)',
  }),
  GATEWAY_RATE_LIMIT_REDIS_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 100,
    description:
      'Longest wait for Redis per check; past it (or while Redis is down) local buckets decide',
  }),
});
