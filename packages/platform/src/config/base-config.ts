import { Type } from 'typebox';
import { discoveryConfigSchema } from '../discovery/config.ts';
import { secret } from './load-config.ts';

// Connection URLs are secrets: they may carry a password, and may come from <KEY>_FILE.

const LogLevel = Type.Union(
  ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l)),
  { default: 'info', description: 'Minimum level of log lines written' },
);

/** Keys every service understands. A service adds its own with `extendConfig`. */
export const baseConfigSchema = Type.Object({
  ...discoveryConfigSchema.properties,
  LATTICE_MODE: Type.Union([Type.Literal('embedded'), Type.Literal('distributed')], {
    default: 'embedded',
    description: 'embedded: PGlite + in-process bus; distributed: PostgreSQL, NATS and Redis',
  }),
  HOST: Type.String({ default: '127.0.0.1', description: 'Interface the HTTP server binds to' }),
  PORT: Type.Integer({
    minimum: 0,
    maximum: 65535,
    default: 0,
    description: 'HTTP port; 0 picks the service default',
  }),
  LOG_LEVEL: LogLevel,
  BODY_LIMIT_BYTES: Type.Integer({
    minimum: 1,
    default: 1_048_576,
    description: 'Largest request body accepted (413 above)',
  }),
  REQUEST_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 30_000,
    description: 'Time a client has to send a whole request',
  }),
  SHUTDOWN_TIMEOUT_MS: Type.Integer({
    minimum: 0,
    default: 10_000,
    description: 'Longest graceful shutdown before the process exits anyway',
  }),
  SHUTDOWN_DRAIN_DELAY_MS: Type.Integer({
    minimum: 0,
    default: 0,
    description:
      'Time readiness reports 503 before the server stops accepting (set ~5000 behind a Kubernetes Service)',
  }),
  DATA_DIR: Type.String({
    default: '.data',
    description: 'Embedded mode: where the shared PGlite database lives',
  }),
  POSTGRES_URL: secret(
    Type.String({
      default: 'postgres://postgres@127.0.0.1:5432/postgres',
      description: 'Distributed mode: PostgreSQL server; each service gets its own database on it',
    }),
  ),

  DATABASE_URL: secret(
    Type.String({
      default: '',
      description: "Distributed mode: this service's own database, overriding POSTGRES_URL",
    }),
  ),

  DATABASE_PREFIX: Type.String({
    default: 'lattice_',
    pattern: '^[a-z_][a-z0-9_]{0,30}$',
    description:
      "Distributed mode: each service's database on POSTGRES_URL is <prefix><service> (another prefix lets two platforms share a server)",
  }),

  DATABASE_PREPARED_STATEMENTS: Type.Boolean({
    default: true,
    description:
      'Distributed mode: send repeated statements as prepared ones, parsed and planned once per connection; false behind a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode)',
  }),

  DATABASE_POOL_MAX: Type.Integer({
    minimum: 1,
    default: 10,
    description: 'Distributed mode: connections per service instance',
  }),
  NATS_URL: secret(
    Type.String({
      default: 'nats://127.0.0.1:4222',
      description: 'Distributed mode: NATS server(s), comma-separated',
    }),
  ),

  REDIS_URL: secret(
    Type.String({
      default: 'redis://127.0.0.1:6379',
      description: 'Distributed mode: Redis server',
    }),
  ),

  AUTH_JWKS_URL: Type.String({
    default: '',
    description:
      "Where access-token keys are published; unset: the auth service's JWKS found by discovery",
  }),
  AUTH_TOKEN_CACHE_SIZE: Type.Integer({
    minimum: 0,
    default: 10_000,
    description:
      'Verified access tokens remembered until they expire, so a token is verified once, not per request; 0: verify every request',
  }),
  JWT_ISSUER: Type.String({
    minLength: 1,
    default: 'urn:lattice:auth',
    description: 'iss of access tokens, issued by the auth service and checked by every verifier',
  }),
  JWT_AUDIENCE: Type.String({
    minLength: 1,
    default: 'urn:lattice:api',
    description: 'aud of access tokens, issued by the auth service and checked by every verifier',
  }),
  CACHE_L1_MAX_ENTRIES: Type.Integer({
    minimum: 1,
    default: 10_000,
    description: 'In-process cache entries per service instance',
  }),
  CACHE_L1_TTL_MS: Type.Integer({
    minimum: 1,
    default: 60_000,
    description: 'Lifetime of an in-process cache entry',
  }),
  CACHE_L2_TTL_MS: Type.Integer({
    minimum: 1,
    default: 300_000,
    description: 'Distributed mode: lifetime of a Redis cache entry',
  }),
  EVENT_GROUP_PREFIX: Type.String({
    default: '',
    pattern: '^[A-Za-z0-9-]*$',
    description:
      "Prefix of this installation's consumer group names, for several installations (or test runs) on one NATS",
  }),
  METRICS_ENABLED: Type.Boolean({
    default: true,
    description:
      'Count and time every request (RED metrics); false only to measure their cost. /metrics is served either way',
  }),
  TRACING_ENABLED: Type.Boolean({
    default: true,
    description: 'Record OpenTelemetry spans (HTTP, database, Redis, bus); false turns tracing off',
  }),
  OTEL_TRACES_SAMPLER_ARG: Type.Number({
    minimum: 0,
    maximum: 1,
    default: 1,
    description:
      "Share of new traces sampled (parent-based: a request joins its caller's decision); 1 keeps all",
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: Type.String({
    default: '',
    description:
      'OTLP/HTTP endpoint (Jaeger, Tempo, the OTel Collector), e.g. http://127.0.0.1:4318; empty: no export',
  }),
  TRACES_KEPT: Type.Integer({
    minimum: 0,
    default: 200,
    description:
      'Most recent traces kept in memory for GET /api/v1/ops/traces (embedded mode); 0 keeps none',
  }),
  SERVICE_CLIENT_SECRET: secret(
    Type.String({
      default: '',
      description:
        "This service's credential for service tokens (its entry in the auth service's AUTH_SERVICE_CREDENTIALS)",
    }),
  ),
  MAINTENANCE_OUTBOX_RETENTION_MS: Type.Integer({
    minimum: 0,
    default: 3_600_000,
    description:
      'POST /internal/maintenance/prune deletes outbox rows published longer ago than this (unsent rows are never deleted)',
  }),
  MAINTENANCE_INBOX_RETENTION_MS: Type.Integer({
    // Not below the streams' 7-day max_age: a replay may re-send any event they still hold.
    minimum: 604_800_000,
    default: 604_800_000,
    description:
      "POST /internal/maintenance/prune deletes inbox rows processed longer ago than this; at least the streams' 7 days, or a redelivered or replayed event would be applied again",
  }),
  SERVICE_URLS: Type.String({
    default: '',
    description:
      'Static discovery: name=url pairs, comma-separated (e.g. users=http://users:8080); unset names use 127.0.0.1 and the default port',
  }),
});
