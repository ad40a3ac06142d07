import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, type TestContext } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { pino } from 'pino';
import type { Database } from '../src/db/database.ts';
import { quoteIdent } from '../src/db/names.ts';
import { openPGliteDatabase } from '../src/db/open-pglite.ts';
import { PGliteHost } from '../src/db/pglite-host.ts';
import { loggerOptions } from '../src/logger.ts';
import type { ServiceDefinition } from '../src/service-types.ts';
import {
  createTestDatabase,
  type DatabaseKind,
  eventually,
  needs,
  testPostgresUrl,
} from '../src/testing/index.ts';
import { notesService } from './fixtures/notes/notes-service.ts';

/** Each database kind with the `skip` its tests take: PostgreSQL only where it answers. */
export const databaseKinds: ReadonlyArray<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

/**
 * The notes fixture without migrations: same routes and config, no database, so tests of
 * HTTP behaviour that never reach a table skip the seconds a PGlite costs to start.
 */
export const notesWithoutDatabase: ServiceDefinition<
  NonNullable<(typeof notesService)['config']>['properties']
> = { ...notesService, migrations: undefined };

/** The `t` for `buildTestService` when one service serves a whole file: closed as the file ends. */
export const fileScope: Pick<TestContext, 'after'> = {
  after: (fn) => after(async () => fn?.(undefined as never, () => {})),
};

/** A directory removed when the calling test (or the file, at top level) ends. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `lattice-${prefix}-`));
  after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Writes `files` (name → content) into a new temporary directory. */
export async function migrationsDir(files: Record<string, string>): Promise<string> {
  const dir = await tempDir('migrations');
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

let sharedHost: Promise<PGliteHost> | undefined;
// Registered while the test file loads, so it runs once when the file's tests end (an `after`
// called inside a test would run when that test ends).
after(async () => {
  await (await sharedHost)?.close();
});

/** One in-memory PGlite per test file (seconds to start), closed when the file ends. */
export function sharedPGlite(): Promise<PGliteHost> {
  sharedHost ??= PGliteHost.open();
  return sharedHost;
}

/**
 * An empty database for `service`: its own schema on the file's shared PGlite (a schema is as
 * fresh as a new PGlite for one service), or a new PostgreSQL database, dropped when the
 * calling test ends (or by `onDone`'s caller, from a suite's `before`).
 */
export async function freshDatabase(
  kind: DatabaseKind,
  service: string,
  onDone: (cleanup: () => Promise<void>) => void = after,
): Promise<Database & { databaseName?: string }> {
  if (kind === 'pglite') return openPGliteDatabase(await sharedPGlite(), service);
  const test = await createTestDatabase(service, 'postgres');
  onDone(() => test.cleanup());
  return Object.assign(test.database, { databaseName: test.name });
}

/** A unique service name per call, so tests sharing one PGlite never share a schema. */
let counter = 0;
export function uniqueService(prefix: string): string {
  counter += 1;
  return `${prefix}_${counter}`;
}

export interface CapturedLogs {
  logger: pino.Logger;
  /** Every line written so far, parsed. */
  lines(): Array<Record<string, unknown>>;
  /** The raw text written so far. */
  text(): string;
}

/** A process-wide logger built like the embedded runtime's, writing to memory. */
export function captureLogs(level = 'info'): CapturedLogs {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const logger = pino(loggerOptions(undefined, level), stream);
  const text = () => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** The payloads of the NOTIFYs on `channel`, in the order they arrive (commit order). */
export async function notifies(
  t: TestContext,
  kind: DatabaseKind,
  database: Database & { databaseName?: string },
  channel: string,
): Promise<string[]> {
  const payloads: string[] = [];
  if (kind === 'pglite') {
    const host = await sharedPGlite();
    const stop = await host.withAdmin(() =>
      host.pg.listen(channel, (payload) => payloads.push(payload)),
    );
    t.after(() => host.withAdmin(() => stop()));
    return payloads;
  }
  const url = new URL(testPostgresUrl());
  url.pathname = `/${database.databaseName}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  // The database may be dropped (its connections ended) before this client's own end.
  client.on('error', () => {});
  t.after(() => client.end().catch(() => {}));
  client.on('notification', (message) => payloads.push(message.payload ?? ''));
  await client.query(`LISTEN ${quoteIdent(channel)}`);
  return payloads;
}

/**
 * How many NOTIFYs the writes so far sent on `channel`: a NOTIFY of its own goes after them,
 * and notifications arrive in commit order, so every earlier one has arrived with it.
 */
export async function notifiesBefore(
  database: Database,
  channel: string,
  payloads: string[],
): Promise<number> {
  await sql`SELECT pg_notify(${channel}, 'control')`.execute(database.db);
  return eventually('the control NOTIFY', async () => {
    const index = payloads.indexOf('control');
    return index >= 0 ? index : undefined;
  });
}
