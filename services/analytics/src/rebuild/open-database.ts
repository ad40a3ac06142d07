import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type Database,
  migrate,
  openPGliteDatabase,
  openPostgresDatabase,
  outboxMigrations,
  PGliteHost,
  readMigrations,
} from '@lattice/platform';
import type { AnalyticsDb } from '../data/schema.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const MIGRATIONS = fileURLToPath(new URL('../../migrations/', import.meta.url));

export interface DatabaseSettings {
  LATTICE_MODE: 'embedded' | 'distributed';
  DATA_DIR: string;
  POSTGRES_URL: string;
  DATABASE_URL: string;
}

/**
 * The analytics database as the service itself opens it (same schema, migrations applied):
 * its PostgreSQL database in distributed mode, the embedded PGlite under DATA_DIR otherwise.
 * PGlite is one process's file: the embedded runtime (`npm start`) must not be running.
 */
export async function openAnalyticsDatabase(
  config: DatabaseSettings,
): Promise<{ database: Database<AnalyticsDb>; close(): Promise<void> }> {
  if (config.LATTICE_MODE === 'distributed') {
    const database = await openPostgresDatabase<AnalyticsDb>({
      service: 'analytics',
      serverUrl: config.POSTGRES_URL,
      databaseUrl: config.DATABASE_URL || undefined,
      poolMax: 2,
    });
    await migrate(database, [...outboxMigrations, ...(await readMigrations(MIGRATIONS))]);
    return { database, close: () => database.close() };
  }
  if (await answers(embeddedPort())) {
    throw new Error(
      `the embedded runtime seems to be running (127.0.0.1:${embeddedPort()} answers), and its PGlite file must not be opened twice: stop it first, or call POST /api/v1/analytics/rebuild as a platform admin`,
    );
  }
  const host = await PGliteHost.open({ dataDir: resolve(REPO_ROOT, config.DATA_DIR) });
  const database = await openPGliteDatabase<AnalyticsDb>(host, 'analytics');
  await migrate(database, [...outboxMigrations, ...(await readMigrations(MIGRATIONS))]);
  return {
    database,
    close: async () => {
      await database.close();
      await host.close();
    },
  };
}

/** The service's port in the catalog (package.json `lattice.port`), where `npm start` serves it. */
function embeddedPort(): number {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return Number(manifest.lattice?.port);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(1_000, () => done(false));
  });
}
