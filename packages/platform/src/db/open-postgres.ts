import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { postgresListen } from '../outbox/listen.ts';
import { queryTracer } from '../telemetry/db-spans.ts';
import { CommitWakes } from './commit-wakes.ts';
import type { Database } from './database.ts';
import { namedStatementClient, StatementNames } from './named-statements.ts';
import { parseInt8, quoteIdent, roleName, schemaName } from './names.ts';

const INT8_OID = 20;
const DUPLICATE_DATABASE = '42P04';
const DUPLICATE_OBJECT = '42710';
const UNIQUE_VIOLATION = '23505';
const INSUFFICIENT_PRIVILEGE = '42501';

const typeParsers = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID
      ? parseInt8
      : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export const DEFAULT_DATABASE_PREFIX = 'lattice_';

export interface PostgresDatabaseOptions {
  service: string;
  /** The server, e.g. postgres://postgres@127.0.0.1:5432/postgres. */
  serverUrl: string;
  /** The service's own database; defaults to `<databasePrefix><service>` on `serverUrl`. */
  databaseUrl?: string;
  /** Starts the default database name: `lattice_` unless several platforms share a server. */
  databasePrefix?: string;
  poolMax?: number;
  /**
   * Send repeated statements as named (prepared) ones, planned once per connection (default
   * true). Off for a pooler that cannot keep them (PgBouncer before 1.21 in transaction mode).
   */
  preparedStatements?: boolean;
  /** Create the database if it does not exist (a fresh cluster, a test). */
  createDatabase?: boolean;
}

export function serviceDatabaseUrl(serverUrl: string, databaseName: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${databaseName}`;
  return url.toString();
}

/** Creates `name` on the server unless it exists; safe when several instances race. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return;
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== DUPLICATE_DATABASE && code !== UNIQUE_VIOLATION) throw error;
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(serverUrl: string, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/**
 * Creates the service's schema, owned by the service's role where the connecting user may
 * create roles. Returns the role to switch to, or undefined when roles are not ours to manage
 * (a hosted database where the service already connects as its own user).
 */
async function prepareSchema(url: string, service: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const role = roleName(service);
  const schema = quoteIdent(schemaName(service));
  try {
    // Replicas starting together would otherwise fail on concurrent GRANT/REVOKE ("tuple
    // concurrently updated"); the lock ends with the session.
    await client.query("SELECT pg_advisory_lock(hashtext('lattice.prepare-schema'))");
    try {
      const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
      if (!exists.rowCount) await client.query(`CREATE ROLE ${quoteIdent(role)} NOLOGIN`);
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === INSUFFICIENT_PRIVILEGE) {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        return undefined;
      }
      if (code !== DUPLICATE_OBJECT && code !== UNIQUE_VIOLATION) throw error;
    }
    await client.query(`GRANT ${quoteIdent(role)} TO CURRENT_USER`).catch(() => {});
    await client
      .query(`CREATE SCHEMA IF NOT EXISTS ${schema} AUTHORIZATION ${quoteIdent(role)}`)
      .catch((error) => {
        if ((error as { code?: string }).code !== UNIQUE_VIOLATION) throw error;
      });
    await client.query('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    return role;
  } finally {
    await client.end();
  }
}

/** The `Database` of one service on PostgreSQL: its own database, its own schema and role. */
export async function openPostgresDatabase<DB>(
  options: PostgresDatabaseOptions,
): Promise<Database<DB>> {
  const { service } = options;
  const url =
    options.databaseUrl ||
    serviceDatabaseUrl(
      options.serverUrl,
      `${options.databasePrefix ?? DEFAULT_DATABASE_PREFIX}${schemaName(service)}`,
    );
  if (options.createDatabase !== false) {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    await ensureDatabase(serviceDatabaseUrl(url, 'postgres'), name);
  }
  const role = await prepareSchema(url, service);
  const pool = new pg.Pool({
    ...(options.preparedStatements === false
      ? {}
      : { Client: namedStatementClient(new StatementNames()) }),
    connectionString: url,
    max: options.poolMax ?? 10,
    types: typeParsers,
    application_name: service,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  const setScope = `${role ? `SET ROLE ${quoteIdent(role)}; ` : ''}SET search_path TO ${quoteIdent(schemaName(service))}`;
  // Queued before any query of the new connection, so every statement runs in the schema.
  pool.on('connect', (client) => {
    // pg-pool drops its own error listener while a client is checked out, so a connection
    // killed mid-transaction would crash the process; the failing query reports it instead.
    client.on('error', () => {});
    // A connection that cannot enter the service's scope must not serve queries outside it.
    client.query(setScope).catch(() => client.end().catch(() => {}));
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => {});
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    log: queryTracer(schemaName(service), 'pg'),
  });
  const wakes = new CommitWakes(schemaName(service), db);
  return {
    kind: 'postgres',
    schema: schemaName(service),
    db,
    listen: wakes.listenWith(postgresListen(url)),
    transaction: (work) => wakes.transaction(db, work),
    ping: async () => {
      await sql`SELECT 1`.execute(db);
    },
    pool: () => ({
      size: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: options.poolMax ?? 10,
    }),
    close: () => db.destroy(),
  };
}
