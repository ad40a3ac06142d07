import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { Mutex } from './mutex.ts';
import { parseInt8, quoteIdent, roleName, schemaName } from './names.ts';

const INT8_OID = 20;
const DEFAULT_LOCK_TIMEOUT_MS = 30_000;

export interface ScopedResult {
  rows: unknown[];
  affectedRows: number | undefined;
}

/**
 * One PGlite (real Postgres compiled to WASM) shared by every service of the embedded
 * runtime. One instance costs ~200 MB and seconds of initdb, so services share it and are
 * kept apart by schema and role instead: before each use of the single connection it is
 * switched to the calling service's role and search_path, under a lock.
 */
export class PGliteHost {
  readonly pg: PGlite;
  readonly #lock = new Mutex();
  readonly #lockTimeoutMs: number;
  #closed = false;

  private constructor(pg: PGlite, lockTimeoutMs: number) {
    this.pg = pg;
    this.#lockTimeoutMs = lockTimeoutMs;
  }

  /** `dataDir` keeps data across restarts; without it the database lives in memory. */
  static async open(
    options: { dataDir?: string; lockTimeoutMs?: number } = {},
  ): Promise<PGliteHost> {
    if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
    const pg = await PGlite.create(options.dataDir ?? 'memory://', {
      parsers: { [INT8_OID]: parseInt8 },
    });
    // Nothing may be created outside a service's own schema.
    await pg.exec('REVOKE CREATE ON SCHEMA public FROM PUBLIC');
    return new PGliteHost(pg, options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The single connection as a pool of one, for metrics: busy or not, and who waits for it. */
  connection(): { size: number; idle: number; waiting: number; max: number } {
    return { size: 1, idle: this.#lock.held ? 0 : 1, waiting: this.#lock.waiting, max: 1 };
  }

  /** Creates the service's role and schema if missing. Idempotent. */
  async prepareService(service: string): Promise<void> {
    const role = roleName(service);
    const schema = schemaName(service);
    await this.withAdmin(async () => {
      await this.pg.exec(`
        DO $$ BEGIN
          IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
            CREATE ROLE ${quoteIdent(role)} NOLOGIN;
          END IF;
        END $$;
        CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)} AUTHORIZATION ${quoteIdent(role)};
      `);
    });
  }

  /** Holds the connection as the superuser, for setup work only. */
  async withAdmin<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.#acquire('admin');
    try {
      await this.pg.exec('RESET ROLE; RESET search_path');
      return await work();
    } finally {
      release();
    }
  }

  /**
   * Takes the single connection for `service` until the returned release is called. While held,
   * every statement runs as the service's role with its schema first on the search_path.
   */
  async acquire(service: string): Promise<{
    run: (sql: string, params: readonly unknown[]) => Promise<ScopedResult>;
    release: () => Promise<void>;
  }> {
    const release = await this.#acquire(service);
    try {
      await this.pg.exec(
        `SET ROLE ${quoteIdent(roleName(service))}; SET search_path TO ${quoteIdent(schemaName(service))}`,
      );
    } catch (error) {
      release();
      throw error;
    }
    const run = async (sql: string, params: readonly unknown[]): Promise<ScopedResult> => {
      if (params.length === 0) {
        // The simple protocol accepts several statements, which migrations need.
        const results = await this.pg.exec(sql);
        const last = results.at(-1);
        return { rows: last?.rows ?? [], affectedRows: last?.affectedRows };
      }
      const result = await this.pg.query(sql, params as unknown[]);
      return { rows: result.rows, affectedRows: result.affectedRows };
    };
    return {
      run,
      release: async () => {
        try {
          // A transaction left open by a crashed caller would leak into the next service.
          if (this.pg.isInTransaction()) await this.pg.exec('ROLLBACK');
          await this.pg.exec('RESET ROLE; RESET search_path');
        } finally {
          release();
        }
      },
    };
  }

  #acquire(owner: string): Promise<() => void> {
    if (this.#closed) return Promise.reject(new Error('The embedded database is closed'));
    return this.#lock.acquire(
      this.#lockTimeoutMs,
      () =>
        `${owner} waited ${this.#lockTimeoutMs} ms for the embedded database connection; ` +
        'is a query running outside an open transaction that holds it?',
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    const release = await this.#lock.acquire(
      this.#lockTimeoutMs,
      () => 'timed out closing the embedded database',
    );
    this.#closed = true;
    try {
      await this.pg.close();
    } finally {
      release();
    }
  }
}
