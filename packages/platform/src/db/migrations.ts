import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sql } from 'kysely';
import type { Database } from './database.ts';

export interface MigrationFile {
  name: string;
  sql: string;
}

export class MigrationError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
  }
}

const FILE_PATTERN = /^\d{3,}_[a-z0-9_-]+\.sql$/;

/** `migrations/NNN_name.sql`, in order. A file that does not follow the pattern is an error, not skipped. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  // By number, not text: 1000_x comes after 999_x.
  const names = (await readdir(dir))
    .filter((name) => name.endsWith('.sql'))
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10) || a.localeCompare(b));
  const misnamed = names.filter((name) => !FILE_PATTERN.test(name));
  if (misnamed.length > 0) {
    throw new MigrationError(
      `Migration files must be named NNN_name.sql: ${misnamed.join(', ')} in ${dir}`,
    );
  }
  return Promise.all(
    names.map(async (name) => ({ name, sql: await readFile(join(dir, name), 'utf8') })),
  );
}

function checksum(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Applies each migration not yet recorded, in order, each in its own transaction together with
 * its record, so a failed migration leaves nothing behind. An advisory lock makes instances
 * that start together apply each file once. A file changed after it was applied stops the start:
 * the database no longer matches the code.
 */
export async function migrate(database: Database, migrations: MigrationFile[]): Promise<string[]> {
  const applied: string[] = [];
  const lock = sql`SELECT pg_advisory_xact_lock(hashtext(${`lattice.migrations.${database.schema}`}))`;
  // Under the lock too: concurrent CREATE TABLE IF NOT EXISTS fails on pg_type's unique index.
  await database.transaction(async (trx) => {
    await lock.execute(trx);
    await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`.execute(trx);
  });

  for (const migration of migrations) {
    const sum = checksum(migration.sql);
    await database.transaction(async (trx) => {
      await lock.execute(trx);
      const done = await sql<{
        checksum: string;
      }>`SELECT checksum FROM schema_migrations WHERE name = ${migration.name}`.execute(trx);
      const previous = done.rows[0];
      if (previous) {
        if (previous.checksum !== sum) {
          throw new MigrationError(
            `Migration ${migration.name} was changed after it was applied; add a new migration instead`,
          );
        }
        return;
      }
      try {
        await sql.raw(migration.sql).execute(trx);
      } catch (error) {
        throw new MigrationError(
          `Migration ${migration.name} failed: ${(error as Error).message}`,
          { cause: error },
        );
      }
      await sql`INSERT INTO schema_migrations (name, checksum) VALUES (${migration.name}, ${sum})`.execute(
        trx,
      );
      applied.push(migration.name);
    });
  }
  return applied;
}
