import { randomBytes } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { TProperties } from 'typebox';
import { EmbeddedBus } from '../bus/embedded-bus.ts';
import type { Env } from '../config/load-config.ts';
import {
  type CreateServiceOptions,
  createService,
  type ServiceInstance,
} from '../create-service.ts';
import type { Database } from '../db/database.ts';
import { schemaName } from '../db/names.ts';
import { openPGliteDatabase } from '../db/open-pglite.ts';
import { dropDatabase, openPostgresDatabase } from '../db/open-postgres.ts';
import { PGliteHost } from '../db/pglite-host.ts';
import type { ServiceDefinition } from '../service-types.ts';
import { testPostgresUrl } from './infrastructure.ts';

export type DatabaseKind = 'pglite' | 'postgres';

export interface TestDatabase {
  database: Database;
  /** The PGlite behind it, when kind is pglite. */
  host?: PGliteHost;
  /** For postgres: the database's name on the test server. */
  name?: string;
  cleanup(): Promise<void>;
}

/** A fresh, empty database for `service`: an in-memory PGlite, or a new PostgreSQL database. */
export async function createTestDatabase(
  service: string,
  kind: DatabaseKind,
): Promise<TestDatabase> {
  if (kind === 'pglite') {
    const host = await PGliteHost.open();
    const database = await openPGliteDatabase(host, service);
    return {
      database,
      host,
      cleanup: async () => {
        await database.close();
        await host.close();
      },
    };
  }
  const server = testPostgresUrl();
  const name = `lattice_test_${schemaName(service)}_${randomBytes(4).toString('hex')}`;
  const url = new URL(server);
  url.pathname = `/${name}`;
  const database = await openPostgresDatabase({
    service,
    serverUrl: server,
    databaseUrl: url.toString(),
    poolMax: 5,
  });
  return {
    database,
    name,
    cleanup: async () => {
      await database.close();
      await dropDatabase(server, name);
    },
  };
}

export interface TestServiceOptions extends Omit<CreateServiceOptions, 'database' | 'env'> {
  db?: DatabaseKind;
  env?: Env;
}

/**
 * Builds `definition` in-process on a fresh database, ready for `app.inject`; closed (and the
 * database dropped) when the test ends. Logs are silent unless LOG_LEVEL is set.
 */
export async function buildTestService<P extends TProperties>(
  t: Pick<TestContext, 'after'>,
  definition: ServiceDefinition<P>,
  options: TestServiceOptions = {},
): Promise<ServiceInstance<P> & { testDatabase?: TestDatabase }> {
  const testDatabase = definition.migrations
    ? await createTestDatabase(definition.name, options.db ?? 'pglite')
    : undefined;
  const env = { LOG_LEVEL: process.env.LOG_LEVEL || 'silent', ...options.env };
  try {
    const instance = await createService(definition, {
      ...options,
      env,
      database: testDatabase?.database,
    });
    t.after(async () => {
      await instance.close();
      await testDatabase?.cleanup();
    });
    return Object.assign(instance, { testDatabase });
  } catch (error) {
    await testDatabase?.cleanup();
    throw error;
  }
}
