import { Type } from 'typebox';

export const BALANCERS = ['least-outstanding', 'round-robin', 'consistent-hash'] as const;
export type Balancer = (typeof BALANCERS)[number];

/** `tenant`, `user`, `ip` or `header:<name>`. */
export const HASH_KEY_PATTERN = "^(tenant|user|ip|header:[A-Za-z0-9!#$%&'*+.^_`|~-]+)$";

/** How the gateway spreads, retries and sheds load per upstream; GATEWAY_ROUTES overrides per route. */
export const resilienceConfig = Type.Object({
  GATEWAY_UPSTREAM_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 30_000,
    description:
      'Longest wait for an upstream instance to start answering (and between body chunks) before 504; per attempt',
  }),
  GATEWAY_STREAM_IDLE_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 120_000,
    description:
      'Event streams (Accept: text/event-stream, or "stream": true in GATEWAY_ROUTES): longest silence between chunks before the gateway ends the stream (heartbeats keep it open); replaces the upstream timeout once the stream has started; 0: never',
  }),
  GATEWAY_LOAD_BALANCER: Type.Union(
    BALANCERS.map((b) => Type.Literal(b)),
    {
      default: 'least-outstanding',
      description:
        'How an instance is chosen: least-outstanding (fewest requests in flight, of two candidates), round-robin, or consistent-hash on GATEWAY_HASH_KEY',
    },
  ),
  GATEWAY_HASH_KEY: Type.String({
    pattern: HASH_KEY_PATTERN,
    default: 'tenant',
    description:
      'consistent-hash: what keeps a caller on one instance: tenant or user (from the verified token; the client IP without one), ip, or header:<name>',
  }),
  GATEWAY_HASH_VIRTUAL_NODES: Type.Integer({
    minimum: 1,
    maximum: 1_000,
    default: 160,
    description:
      'consistent-hash: points per instance on the hash ring; more spreads keys more evenly',
  }),
  GATEWAY_RETRIES: Type.Integer({
    minimum: 0,
    maximum: 5,
    default: 2,
    description:
      'Further attempts, each on another instance, for GET/HEAD/OPTIONS/PUT/DELETE whose body was not sent yet, after a connection error, a timeout, 502 or 503',
  }),
  GATEWAY_RETRY_BACKOFF_MS: Type.Integer({
    minimum: 0,
    default: 25,
    description: 'Wait before the first retry; doubles per retry, with jitter',
  }),
  GATEWAY_RETRY_BUDGET_RATIO: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 0.2,
    description:
      'Retries per upstream service may be at most this share of its requests over the last 10 s, so an outage cannot multiply the load',
  }),
  GATEWAY_RETRY_BUDGET_MIN_PER_SECOND: Type.Integer({
    minimum: 0,
    default: 5,
    description: 'Retries per second always allowed per upstream service, whatever the ratio',
  }),
  GATEWAY_MAX_CONCURRENT_PER_UPSTREAM: Type.Integer({
    minimum: 1,
    default: 1_000,
    description:
      'Bulkhead: requests in flight per upstream service; above it the gateway answers 503 with Retry-After at once',
  }),
  GATEWAY_OUTLIER_FAILURES: Type.Integer({
    minimum: 0,
    default: 5,
    description:
      'Consecutive failures (connection errors, timeouts, 5xx) that eject an instance from balancing; 0: never',
  }),
  GATEWAY_OUTLIER_EJECTION_MS: Type.Integer({
    minimum: 1,
    default: 10_000,
    description:
      'How long a first ejection lasts; each repeated ejection lasts this much longer, up to GATEWAY_OUTLIER_MAX_EJECTION_MS',
  }),
  GATEWAY_OUTLIER_MAX_EJECTION_MS: Type.Integer({
    minimum: 1,
    default: 120_000,
    description:
      'Longest ejection; an instance not ejected for this long starts again from the first period',
  }),
  GATEWAY_CIRCUIT_FAILURES: Type.Integer({
    minimum: 0,
    default: 3,
    description:
      'Consecutive connection errors or timeouts that open the circuit of an instance; 0: never',
  }),
  GATEWAY_CIRCUIT_OPEN_MS: Type.Integer({
    minimum: 1,
    default: 5_000,
    description:
      'How long an open circuit sends nothing; then one request probes it (half-open): success closes it, failure opens it again',
  }),
  GATEWAY_HEALTH_CHECK_INTERVAL_MS: Type.Integer({
    minimum: 0,
    default: 3_000,
    description:
      "Active health checks: how often each instance's /health/ready is asked; one not answering 200 (503: draining) gets no new requests; 0: off",
  }),
  GATEWAY_HEALTH_CHECK_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 1_000,
    description: 'Active health checks: longest wait for an answer',
  }),
  GATEWAY_ROUTES: Type.String({
    default: '[]',
    description:
      'Per-route overrides, JSON: [{"service":"orders","methods":["GET"],"path":"/api/v1/orders/*","balancer":"consistent-hash","hashKey":"tenant","timeoutMs":5000,"retries":1}]; an entry with only "service" may set "maxConcurrent"; the first matching entry wins',
  }),
});
