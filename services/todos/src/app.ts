import { type ServiceDefinition, uuidv7 } from '@lattice/platform';
import { type TodosConfigProperties, todosConfig } from './config.ts';
import type { TodosDb } from './data/schema.ts';
import type { TodosDeps } from './domain/deps.ts';
import { expireIdempotencyKeys } from './domain/idempotency.ts';
import { userDeletedConsumer } from './events/user-deleted.ts';
import { registerInternalRoutes } from './routes/internal-routes.ts';
import { registerTodoRoutes } from './routes/todo-routes.ts';

const HOUR_MS = 60 * 60 * 1000;

/** Each user's own todos: pages, ETags, idempotent create, soft delete, audit trail, events. */
export const service: ServiceDefinition<TodosConfigProperties, TodosDb> = {
  name: 'todos',
  description: "The caller's todos: list, create, read, change, delete and restore, with history",
  config: todosConfig,
  migrations: new URL('../migrations/', import.meta.url),
  routes(app, { config, db, events, cache, auth, log, onClose }) {
    const deps: TodosDeps = {
      database: db,
      events,
      cache,
      cacheTtlMs: config.TODOS_CACHE_TTL_MS,
      idempotencyTtlMs: config.TODOS_IDEMPOTENCY_KEY_TTL_HOURS * HOUR_MS,
      now: () => new Date(),
      // Time-ordered ids keep inserts at the right edge of the primary key index.
      newId: () => uuidv7(),
    };
    registerTodoRoutes(app, deps, auth);
    registerInternalRoutes(app, deps, auth, config.TODOS_RETENTION_DAYS);
    events.consume(userDeletedConsumer(deps));

    // Expired keys already behave as absent; the sweep only keeps the table small. Every
    // instance sweeps: the deletes are idempotent, so no coordination is needed.
    const sweeper = setInterval(() => {
      expireIdempotencyKeys(deps).catch((error: unknown) => {
        log.warn({ err: error }, 'expiring idempotency keys failed; the next sweep retries');
      });
    }, HOUR_MS);
    sweeper.unref();
    onClose(() => clearInterval(sweeper));
  },
};
