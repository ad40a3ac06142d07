import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Registry } from 'prom-client';
import type { Static, TObject, TProperties } from 'typebox';
import type { authenticate, requireRole } from './auth/authenticate.ts';
import type { authenticateService, ServiceTokens } from './auth/service-tokens.ts';
import type { TokenVerifier } from './auth/token-verifier.ts';
import type { EventBus } from './bus/event-bus.ts';
import type { Cache } from './cache/cache.ts';
import type { baseConfigSchema } from './config/base-config.ts';
import type { Database } from './db/database.ts';
import type { Discovery } from './discovery.ts';
import type { ServiceEvents } from './events/service-events.ts';
import type { Readiness } from './health.ts';
import type { ServiceTracing } from './telemetry/tracing.ts';

/** The Fastify instance routes are declared on, typed from TypeBox schemas. */
export type ServiceApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export type BaseConfig = Static<typeof baseConfigSchema>;
export type ServiceConfig<P extends TProperties> = BaseConfig & Static<TObject<P>>;

/** What a service's routes and use cases receive: ports, never concrete infrastructure. */
export interface ServiceContext<P extends TProperties = TProperties, DB = any> {
  readonly name: string;
  readonly config: ServiceConfig<P>;
  /** The service's database; only services that declare migrations have one. */
  readonly db: Database<DB>;
  /** The raw bus; services with a database have one. Domain events go through `events`, not here. */
  readonly bus: EventBus | undefined;
  /** Events the transactional way: recorded with the state change, consumed exactly once in effect. */
  readonly events: ServiceEvents<DB>;
  readonly discovery: Discovery;
  /** Read-through cache (L1 in-process; L2 Redis in distributed mode), namespaced to this service. */
  readonly cache: Cache;
  readonly readiness: Readiness;
  /**
   * This service's Prometheus registry (served at `/metrics`, labelled `service`): add business
   * counters with `new Counter({ name, help, labelNames, registers: [context.metrics] })`.
   * Labels must stay bounded: outcomes, channels, reasons — never ids.
   */
  readonly metrics: Registry;
  /**
   * OpenTelemetry for the service's own spans (saga steps, long computations):
   * `await context.tracing.span('saga.charge-payment', async (span) => ...)`. HTTP, database,
   * Redis and bus spans are made by the kit.
   */
  readonly tracing: ServiceTracing;
  /** Access-token verification and RBAC pre-handlers for this service's routes. */
  readonly auth: {
    readonly verifier: TokenVerifier;
    /** `preHandler: [auth.authenticate]`: 401 without a valid token; sets `request.identity`. */
    readonly authenticate: ReturnType<typeof authenticate>;
    /** `preHandler: [auth.authenticate, auth.requireRole('admin')]`: 403 without the role. */
    readonly requireRole: typeof requireRole;
    /** For routes other services call: only a service token addressed to this service; sets `request.caller`. */
    readonly authenticateService: ReturnType<typeof authenticateService>;
    /** Tokens for calling other services: `authorization: Bearer ${await auth.serviceTokens.tokenFor('users')}`. */
    readonly serviceTokens: ServiceTokens;
  };
  readonly log: FastifyBaseLogger;
  /** Runs `cleanup` at shutdown, after the HTTP server stopped; last registered runs first. */
  onClose(cleanup: () => Promise<void> | void): void;
}

export interface ServiceDefinition<P extends TProperties = TProperties, DB = any> {
  /** Lower-case name: the URL segment at the gateway (`/api/v1/<name>`) and the schema name. */
  name: string;
  version?: string;
  description?: string;
  /** The service's own configuration keys, added to the platform's base keys. */
  config?: TObject<P>;
  /** Directory of `NNN_name.sql` migrations; a service with migrations gets a database. */
  migrations?: URL;
  /** Declares the routes; runs once while the app is built. */
  routes(app: ServiceApp, context: ServiceContext<P, DB>): void | Promise<void>;
}
