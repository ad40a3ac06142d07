import { randomUUID } from 'node:crypto';
import type { Executor } from './schema.ts';

export async function createTenant(db: Executor, name: string): Promise<{ id: string }> {
  return db
    .insertInto('tenants')
    .values({ id: randomUUID(), name })
    .returning('id')
    .executeTakeFirstOrThrow();
}
