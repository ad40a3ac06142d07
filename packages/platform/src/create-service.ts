import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, LogController } from 'fastify';
import { pino } from 'pino';
import { type TProperties, Type } from 'typebox';
import { authenticate, requireRole } from './auth/authenticate.ts';
import { authenticateService, createServiceTokens } from './auth/service-tokens.ts';
import { createTokenVerifier } from './auth/token-verifier.ts';
import { rememberVerifiedTokens } from './auth/verified-tokens.ts';
import type { EmbeddedBus } from './bus/embedded-bus.ts';
import type { EventBus } from './bus/event-bus.ts';
import { cacheMetrics } from './cache/cache-metrics.ts';
import { createCache } from './cache/create-cache.ts';
import { baseConfigSchema } from './config/base-config.ts';
import { type Env, extendConfig, loadConfig, secretKeys } from './config/load-config.ts';
import type { Database } from './db/database.ts';
import { migrate, readMigrations } from './db/migrations.ts';
import { openPGliteDatabase } from './db/open-pglite.ts';
import { openPostgresDatabase } from './db/open-postgres.ts';
import { PGliteHost } from './db/pglite-host.ts';
import { createDiscovery, type Registration, registerInstance } from './discovery/index.ts';
import type { Discovery } from './discovery.ts';
import { eventMetrics } from './events/event-metrics.ts';
import type { ObserverHub } from './events/observer-hub.ts';
import { eventsWithoutDatabase, ServiceEventsImpl } from './events/service-events.ts';
import { openEventBus, startEvents } from './events/wire-events.ts';
import { Readiness, registerHealthRoutes } from './health.ts';
import { installRequestLifecycle } from './http/request-lifecycle.ts';
import { requestIdOf, traceIdOf } from './http/trace-context.ts';
import { validatorCompiler } from './http/validation.ts';
import { HttpMetrics } from './http-metrics.ts';
import { loggerOptions } from './logger.ts';
import { registerMaintenanceRoutes } from './maintenance/maintenance-routes.ts';
import { registerMetrics } from './metrics.ts';
import { outboxMigrations } from './outbox/migrations.ts';
import { installProblemHandlers } from './problem.ts';
import type {
  ServiceApp,
  ServiceConfig,
  ServiceContext,
  ServiceDefinition,
} from './service-types.ts';
import { traceUndiciRequests } from './telemetry/http-client.ts';
import { registerKitMetrics } from './telemetry/kit-metrics.ts';
import { tracedBus } from './telemetry/traced-bus.ts';
import { serviceTracing } from './telemetry/tracing.ts';

export interface CreateServiceOptions {
  /** Defaults to process.env. */
  env?: Env;
  /** Embedded runtime: the PGlite shared by every service of the process. */
  pglite?: PGliteHost;
  /** Tests: a database prepared by the caller (fresh PGlite or PostgreSQL). */
  database?: Database;
  discovery?: Discovery;
  /** A bus the caller owns (tests, tools); not closed with the service. */
  bus?: EventBus;
  /** Embedded runtime: the in-process bus every service of the process shares. */
  embeddedBus?: EmbeddedBus;
  /** Embedded runtime: routes the shared bus's observations to each service's metrics. */
  observerHub?: ObserverHub;
  /** A process-wide logger; each service logs through a child bound to its name. */
  logger?: FastifyBaseLogger;
}

export interface ServiceInstance<P extends TProperties = TProperties> {
  readonly name: string;
  readonly config: ServiceConfig<P>;
  readonly app: ServiceApp;
  readonly context: ServiceContext<P>;
  /** Listens on `port`, else PORT; resolves with the bound address. */
  listen(port?: number): Promise<string>;
  /** Graceful: readiness 503, wait the drain delay, finish in-flight requests, run cleanups. */
  close(): Promise<void>;
}

async function openDatabase(
  definition: ServiceDefinition<any>,
  config: ServiceConfig<TProperties>,
  options: CreateServiceOptions,
  cleanups: Array<() => Promise<void> | void>,
): Promise<Database | undefined> {
  if (!definition.migrations) return undefined;
  let database = options.database;
  if (!database) {
    if (config.LATTICE_MODE === 'embedded') {
      let host = options.pglite;
      if (!host) {
        // Started alone in embedded mode: the service owns its PGlite.
        const owned = await PGliteHost.open({ dataDir: config.DATA_DIR });
        cleanups.push(() => owned.close());
        host = owned;
      }
      database = await openPGliteDatabase(host, definition.name);
    } else {
      database = await openPostgresDatabase({
        service: definition.name,
        serverUrl: config.POSTGRES_URL,
        databaseUrl: config.DATABASE_URL || undefined,
        databasePrefix: config.DATABASE_PREFIX,
        preparedStatements: config.DATABASE_PREPARED_STATEMENTS,
        poolMax: config.DATABASE_POOL_MAX,
      });
    }
    const opened = database;
    cleanups.push(() => opened.close());
  }
  // The kit's outbox and inbox tables first: a service's own migrations may refer to them.
  const own = await readMigrations(fileURLToPath(definition.migrations));
  await migrate(database, [...outboxMigrations, ...own]);
  return database;
}

/** The auth service, found like any other service. */
function authUrlFrom(discovery: Discovery): string {
  return discovery.instances('auth')[0] ?? 'http://127.0.0.1:8081';
}

function missingDatabase(name: string): Database {
  const fail = (): never => {
    throw new Error(`Service ${name} declares no migrations, so it has no database`);
  };
  return new Proxy({} as Database, { get: fail });
}

/**
 * Builds a service from its definition: validated config, logger, problem+json errors,
 * health, OpenAPI, database with migrations applied, then the service's routes. The app is
 * ready for `app.inject` (tests) or `listen` (main.ts, the embedded runtime).
 */
export async function createService<P extends TProperties>(
  definition: ServiceDefinition<P>,
  options: CreateServiceOptions = {},
): Promise<ServiceInstance<P>> {
  const schema = extendConfig(baseConfigSchema, definition.config ?? Type.Object({}));
  const config = loadConfig(
    definition.name,
    schema,
    options.env ?? process.env,
  ) as ServiceConfig<P>;
  // A secret key is redacted where it is logged alone and inside a logged config object.
  const secretPaths = secretKeys(schema).flatMap((key) => [key, `*.${key}`]);
  const logOptions = loggerOptions(definition.name, config.LOG_LEVEL, secretPaths);
  // A process-wide logger knows neither this service's secrets nor its LOG_LEVEL.
  const logger = options.logger
    ? options.logger.child(
        { service: definition.name },
        { redact: logOptions.redact, level: config.LOG_LEVEL },
      )
    : pino(logOptions);
  // Before anything that makes spans: the database's queries, the bus, the routes.
  const tracing = serviceTracing(definition.name, definition.version, config);
  if (tracing.enabled) traceUndiciRequests();

  // Cleanups run last-in first-out: consumers before the database they write to.
  const cleanups: Array<() => Promise<void> | void> = [];
  let database: Database | undefined;
  try {
    database = await openDatabase(
      definition,
      config as ServiceConfig<TProperties>,
      options,
      cleanups,
    );
  } catch (error) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw error;
  }

  const app = Fastify({
    loggerInstance: logger,
    bodyLimit: config.BODY_LIMIT_BYTES,
    requestTimeout: config.REQUEST_TIMEOUT_MS,
    genReqId: requestIdOf,
    // One line per request is written by the kit's response hook (request-lifecycle.ts).
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: true,
    }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    // With tracing on, the logger's mixin adds the active span's traceId and spanId instead.
    childLoggerFactory: (parent, bindings, childOptions, raw) =>
      tracing.enabled
        ? parent.child(bindings, childOptions)
        : parent.child({ ...bindings, traceId: traceIdOf(raw as never) }, childOptions),
  }).withTypeProvider() as unknown as ServiceApp;

  // Set by the authentication pre-handlers on some routes only: declared for every request so
  // all request objects share one hidden class (see declareServerSpans).
  app.decorateRequest('identity', undefined);
  app.decorateRequest('caller', undefined);
  const httpMetrics = config.METRICS_ENABLED ? new HttpMetrics() : undefined;
  installRequestLifecycle(app, tracing, httpMetrics);
  app.setValidatorCompiler(validatorCompiler);
  // The API speaks JSON only: a text/plain body is a 415, not a string that fails validation.
  app.removeContentTypeParser('text/plain');
  installProblemHandlers(app);
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: `lattice ${definition.name}`,
        version: definition.version ?? '0.1.0',
        description: definition.description,
      },
    },
  });

  const readiness = new Readiness();
  const registry = registerMetrics(app, definition.name, httpMetrics);
  const metrics = eventMetrics(registry);
  registerKitMetrics(registry, { database });
  const cache = createCache({
    service: definition.name,
    mode: config.LATTICE_MODE,
    redisUrl: config.REDIS_URL,
    l1: { max: config.CACHE_L1_MAX_ENTRIES, ttlMs: config.CACHE_L1_TTL_MS },
    l2TtlMs: config.CACHE_L2_TTL_MS,
    logger,
    metrics: cacheMetrics(registry),
  });
  cleanups.push(() => cache.close());
  // Reads stay correct without Redis (they go to the database), but writes that must
  // invalidate cannot be acknowledged: the instance is not ready for traffic then.
  if (config.LATTICE_MODE === 'distributed') {
    readiness.add('cache', async () => {
      const health = await cache.health();
      if (health.status !== 'up') throw new Error(health.reason);
    });
  }
  if (database) {
    const db = database;
    readiness.add('database', () => db.ping());
  }

  const openedBus = database
    ? await openEventBus({
        service: definition.name,
        config,
        bus: options.bus,
        embeddedBus: options.embeddedBus,
        observer: metrics.bus,
        observerHub: options.observerHub,
        logger,
        readiness,
        cleanups,
      })
    : undefined;
  const bus =
    openedBus &&
    tracedBus(openedBus, tracing, config.LATTICE_MODE === 'distributed' ? 'nats' : 'lattice');
  const events = database
    ? new ServiceEventsImpl(definition.name, config.EVENT_GROUP_PREFIX)
    : undefined;

  const discovery =
    options.discovery ?? (await createDiscovery(config, { name: definition.name, logger }));
  if (!options.discovery) cleanups.push(() => discovery.close?.());
  let registration: Registration | undefined;
  // Last in, first out: the instance leaves discovery before the discovery client closes.
  cleanups.push(() => registration?.deregister());
  const jwksUrl = () =>
    config.AUTH_JWKS_URL || `${authUrlFrom(discovery)}/api/v1/auth/.well-known/jwks.json`;
  const verifier = rememberVerifiedTokens(
    createTokenVerifier({ jwksUrl, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE }),
    config.AUTH_TOKEN_CACHE_SIZE,
  );
  const serviceTokens = createServiceTokens({
    service: definition.name,
    secret: config.SERVICE_CLIENT_SECRET,
    authUrl: () => authUrlFrom(discovery),
  });
  cleanups.push(() => serviceTokens.close());
  const context: ServiceContext<P> = {
    name: definition.name,
    config,
    db: database ?? missingDatabase(definition.name),
    bus,
    events: events ?? eventsWithoutDatabase(definition.name),
    discovery,
    cache,
    metrics: registry,
    tracing,
    auth: {
      verifier,
      authenticate: authenticate(verifier),
      requireRole,
      authenticateService: authenticateService({
        jwksUrl,
        issuer: config.JWT_ISSUER,
        service: definition.name,
      }),
      serviceTokens,
    },
    readiness,
    log: logger,
    onClose: (cleanup) => {
      cleanups.push(cleanup);
    },
  };

  registerHealthRoutes(app, readiness);
  if (database && bus) {
    registerMaintenanceRoutes(app, {
      database,
      bus,
      authenticateService: context.auth.authenticateService,
      retention: {
        outboxRetentionMs: config.MAINTENANCE_OUTBOX_RETENTION_MS,
        inboxRetentionMs: config.MAINTENANCE_INBOX_RETENTION_MS,
      },
    });
  }
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  await definition.routes(app, context);
  if (bus && database && events)
    await startEvents({ events, bus, database, logger, cleanups, metrics });

  app.addHook('onClose', async () => {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        logger.error({ err: error }, 'cleanup failed during shutdown');
      }
    }
  });
  await app.ready();

  let closing: Promise<void> | undefined;
  return {
    name: definition.name,
    config,
    app,
    context,
    listen: async (port) => {
      const address = await app.listen({
        host: config.HOST,
        port: port ?? config.PORT,
      });
      registration = await registerInstance(
        discovery,
        {
          service: definition.name,
          port: (app.server.address() as AddressInfo).port,
          version: definition.version,
        },
        config,
      );
      return address;
    },
    close: () => {
      closing ??= (async () => {
        readiness.startDraining();
        // Gateways watching discovery stop sending new requests before the server stops accepting.
        await registration?.markDraining();
        if (config.SHUTDOWN_DRAIN_DELAY_MS > 0 && app.server.listening)
          await delay(config.SHUTDOWN_DRAIN_DELAY_MS);
        await app.close();
      })();
      return closing;
    },
  };
}
