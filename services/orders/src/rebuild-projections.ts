// `node services/orders/src/rebuild-projections.ts`, from the repository root: empties the read
// models (order_detail, order_list) and rebuilds them from the event store, in one transaction:
// readers see the old models until the new ones commit.
// Uses the service's own configuration (LATTICE_MODE, DATA_DIR, POSTGRES_URL/DATABASE_URL).
// In embedded mode stop the platform first: one PGlite data directory has one process at a time.
// Exit codes: 0 rebuilt, 1 failed (bad configuration included).
import { fileURLToPath } from 'node:url';
import {
  baseConfigSchema,
  type Database,
  extendConfig,
  loadConfig,
  migrate,
  openPGliteDatabase,
  openPostgresDatabase,
  outboxMigrations,
  PGliteHost,
  readMigrations,
} from '@lattice/platform';
import { ordersConfig } from './config.ts';
import { rebuildProjections } from './data/projections.ts';
import type { OrdersDb } from './data/schema.ts';

/** Rebuilds the read models of `database` from its event store; resolves with the events applied. */
export async function rebuildReadModels(database: Database<OrdersDb>): Promise<{ events: number }> {
  return database.transaction((trx) => rebuildProjections(trx));
}

async function main(): Promise<void> {
  const config = loadConfig('orders', extendConfig(baseConfigSchema, ordersConfig));
  const closers: Array<() => Promise<void>> = [];
  try {
    let database: Database<OrdersDb>;
    if (config.LATTICE_MODE === 'embedded') {
      const host = await PGliteHost.open({ dataDir: config.DATA_DIR });
      closers.push(() => host.close());
      database = await openPGliteDatabase<OrdersDb>(host, 'orders');
    } else {
      database = await openPostgresDatabase<OrdersDb>({
        service: 'orders',
        serverUrl: config.POSTGRES_URL,
        databaseUrl: config.DATABASE_URL || undefined,
        poolMax: 2,
      });
    }
    closers.unshift(() => database.close());
    // A database the service never started on gets its tables (and an empty rebuild).
    const own = await readMigrations(fileURLToPath(new URL('../migrations/', import.meta.url)));
    await migrate(database, [...outboxMigrations, ...own]);
    const started = Date.now();
    const { events } = await rebuildReadModels(database);
    process.stdout.write(
      `orders read models rebuilt from ${events} events in ${Date.now() - started} ms\n`,
    );
  } finally {
    for (const close of closers) await close();
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (error) {
    process.stderr.write(
      `rebuild-projections failed: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exitCode = 1;
  }
}
