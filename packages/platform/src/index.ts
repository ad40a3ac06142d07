export * from './auth/index.ts';
export * from './bus/index.ts';
export * from './cache/index.ts';
export { baseConfigSchema } from './config/base-config.ts';
export { ConfigError, type Env, extendConfig, loadConfig, secret } from './config/load-config.ts';
export {
  type CreateServiceOptions,
  createService,
  type ServiceInstance,
} from './create-service.ts';
export { type CommitWake, notifyAtCommit, wakeAtCommit } from './db/commit-wakes.ts';
export type { Database } from './db/database.ts';
export { MigrationError, type MigrationFile, migrate, readMigrations } from './db/migrations.ts';
export { schemaName } from './db/names.ts';
export { openPGliteDatabase } from './db/open-pglite.ts';
export { openPostgresDatabase } from './db/open-postgres.ts';
export { PGliteHost } from './db/pglite-host.ts';
export * from './discovery/index.ts';
export {
  AppError,
  type AppErrorOptions,
  defineError,
  type ErrorFactory,
  isAppError,
  PlatformErrors,
} from './errors.ts';
export type { ConsumerSpec, ServiceEvents } from './events/service-events.ts';
export { consumerGroup } from './events/service-events.ts';
export { Readiness, type ReadinessCheck } from './health.ts';
export * from './http/index.ts';
export { requestIdOf, traceIdOf } from './http/trace-context.ts';
export { loggerOptions } from './logger.ts';
export { Lru } from './lru.ts';
export * from './maintenance/index.ts';
export * from './outbox/index.ts';
export * from './pagination/keyset-cursor.ts';
export { PROBLEM_CONTENT_TYPE, type Problem, problemType, sendProblem } from './problem.ts';
export { randomBase64url } from './random-ids.ts';
export { type EmbeddedPlatform, runEmbedded, startEmbedded } from './runtime/run-embedded.ts';
export { exitOnStartFailure, runService } from './runtime/run-service.ts';
export {
  type CatalogEntry,
  portVariable,
  readServiceCatalog,
  serviceUrls,
} from './runtime/service-catalog.ts';
export { localServiceCredentials } from './runtime/service-credentials.ts';
export { onShutdownSignal } from './runtime/shutdown.ts';
export type {
  BaseConfig,
  ServiceApp,
  ServiceConfig,
  ServiceContext,
  ServiceDefinition,
} from './service-types.ts';
export * from './telemetry/index.ts';
export { withTimeout } from './with-timeout.ts';
