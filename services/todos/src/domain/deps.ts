import type { Cache, Database, ServiceEvents } from '@lattice/platform';
import type { TodosDb } from '../data/schema.ts';

/** What the use cases need, built once in app.ts; tests reach them through HTTP and the bus. */
export interface TodosDeps {
  database: Database<TodosDb>;
  events: ServiceEvents<TodosDb>;
  /** Single todos, read through; every write invalidates before it is acknowledged. */
  cache: Cache;
  cacheTtlMs: number;
  idempotencyTtlMs: number;
  now(): Date;
  newId(): string;
}
