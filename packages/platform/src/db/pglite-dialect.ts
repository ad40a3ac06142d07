import {
  CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';
import type { PGliteHost } from './pglite-host.ts';

class ScopedConnection implements DatabaseConnection {
  readonly release: () => Promise<void>;
  readonly #run: (
    sql: string,
    params: readonly unknown[],
  ) => Promise<{ rows: unknown[]; affectedRows: number | undefined }>;

  constructor(lease: Awaited<ReturnType<PGliteHost['acquire']>>) {
    this.#run = lease.run;
    this.release = lease.release;
  }

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const { rows, affectedRows } = await this.#run(compiled.sql, compiled.parameters);
    return {
      rows: rows as R[],
      numAffectedRows: affectedRows === undefined ? undefined : BigInt(affectedRows),
    };
  }

  // biome-ignore lint/correctness/useYield: streaming is not offered by PGlite; this throws at once
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('Streaming queries are not supported on the embedded database');
  }
}

class PGliteDriver implements Driver {
  readonly #host: PGliteHost;
  readonly #service: string;

  constructor(host: PGliteHost, service: string) {
    this.#host = host;
    this.#service = service;
  }

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    return new ScopedConnection(await this.#host.acquire(this.#service));
  }

  async beginTransaction(
    connection: DatabaseConnection,
    settings: TransactionSettings,
  ): Promise<void> {
    const isolation = settings.isolationLevel
      ? ` ISOLATION LEVEL ${settings.isolationLevel.toUpperCase()}`
      : '';
    await connection.executeQuery(CompiledQuery.raw(`BEGIN${isolation}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('COMMIT'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('ROLLBACK'));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    await (connection as ScopedConnection).release();
  }

  // The host outlives each service's Kysely instance; the runtime closes it once, last.
  async destroy(): Promise<void> {}
}

/** A Kysely dialect whose queries run on the shared PGlite as `service`. */
export class ScopedPGliteDialect implements Dialect {
  readonly #host: PGliteHost;
  readonly #service: string;

  constructor(host: PGliteHost, service: string) {
    this.#host = host;
    this.#service = service;
  }

  createDriver(): Driver {
    return new PGliteDriver(this.#host, this.#service);
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }

  createAdapter() {
    return new PostgresAdapter();
  }

  createIntrospector(db: Kysely<any>) {
    return new PostgresIntrospector(db);
  }
}
