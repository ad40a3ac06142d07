import { Kysely, sql } from 'kysely';
import { pgliteListen } from '../outbox/listen.ts';
import { queryTracer } from '../telemetry/db-spans.ts';
import { CommitWakes } from './commit-wakes.ts';
import type { Database } from './database.ts';
import { schemaName } from './names.ts';
import { ScopedPGliteDialect } from './pglite-dialect.ts';
import type { PGliteHost } from './pglite-host.ts';

/** The `Database` of one service on the shared embedded PGlite. */
export async function openPGliteDatabase<DB>(
  host: PGliteHost,
  service: string,
): Promise<Database<DB>> {
  await host.prepareService(service);
  const db = new Kysely<DB>({
    dialect: new ScopedPGliteDialect(host, service),
    log: queryTracer(schemaName(service), 'pglite'),
  });
  const wakes = new CommitWakes(schemaName(service), db);
  return {
    kind: 'pglite',
    schema: schemaName(service),
    db,
    listen: wakes.listenWith(pgliteListen(host)),
    transaction: (work) => wakes.transaction(db, work),
    ping: async () => {
      if (host.closed) throw new Error('embedded database is closed');
      await sql`SELECT 1`.execute(db);
    },
    // Every service of the process shares this one connection: they all report it.
    pool: () => host.connection(),
    close: () => db.destroy(),
  };
}
