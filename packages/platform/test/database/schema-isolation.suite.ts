import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { Database } from '../../src/db/database.ts';
import { migrate } from '../../src/db/migrations.ts';
import { openPGliteDatabase } from '../../src/db/open-pglite.ts';
import { openPostgresDatabase } from '../../src/db/open-postgres.ts';
import { needs, testPostgresUrl } from '../../src/testing/index.ts';
import { freshDatabase, sharedPGlite } from '../support.ts';

// Each service keeps a `ledger` table of its own: the same name in both schemas.
const ledger = (owner: string) => [
  {
    name: '001_ledger.sql',
    sql: `CREATE TABLE ledger (entry text NOT NULL);
          INSERT INTO ledger (entry) VALUES ('${owner} only');`,
  },
];

async function entries(database: Database): Promise<string[]> {
  const result = await sql<{ entry: string }>`SELECT entry FROM ledger ORDER BY entry`.execute(
    database.db,
  );
  return result.rows.map((r) => r.entry);
}

async function refused(database: Database, statement: string, reason: RegExp): Promise<void> {
  await assert.rejects(sql.raw(statement).execute(database.db), (error: Error) => {
    assert.match(error.message, reason, `${statement} failed for another reason`);
    return true;
  });
}

/** What a service must be unable to do to its neighbour, and what it keeps doing to itself. */
function neighbourRules(
  services: () => { alpha: Database; beta: Database },
  neighbourDenial: RegExp,
) {
  test('a service reads and writes only its own table of a shared name', async () => {
    const { alpha, beta } = services();
    await sql`INSERT INTO ledger (entry) VALUES ('beta again')`.execute(beta.db);
    assert.deepEqual(await entries(alpha), ['alpha only']);
    assert.deepEqual(await entries(beta), ['beta again', 'beta only']);
  });

  test("a service cannot read its neighbour's table", async () => {
    const { beta } = services();
    await refused(beta, 'SELECT * FROM alpha.ledger', neighbourDenial);
  });

  test("a service cannot write its neighbour's table", async () => {
    const { alpha, beta } = services();
    await refused(beta, "INSERT INTO alpha.ledger (entry) VALUES ('intruder')", neighbourDenial);
    await refused(beta, 'DELETE FROM alpha.ledger', neighbourDenial);
    await refused(beta, 'CREATE TABLE alpha.planted (id int)', neighbourDenial);
    assert.deepEqual(await entries(alpha), ['alpha only']);
  });

  test('a service cannot create tables in public', async () => {
    const { alpha } = services();
    await refused(
      alpha,
      'CREATE TABLE public.escaped (id int)',
      /permission denied for schema public/,
    );
  });

  test("a table created without a schema lands in the service's own schema", async () => {
    const { beta } = services();
    await sql`CREATE TABLE unqualified (id int)`.execute(beta.db);
    const found = await sql<{
      schemaname: string;
    }>`SELECT schemaname FROM pg_tables WHERE tablename = 'unqualified'`.execute(beta.db);
    assert.deepEqual(found.rows, [{ schemaname: 'beta' }]);
  });
}

describe('schema isolation on one shared PGlite', () => {
  let alpha: Database;
  let beta: Database;
  before(async () => {
    const host = await sharedPGlite();
    alpha = await openPGliteDatabase(host, 'alpha');
    beta = await openPGliteDatabase(host, 'beta');
    await migrate(alpha, ledger('alpha'));
    await migrate(beta, ledger('beta'));
  });

  neighbourRules(() => ({ alpha, beta }), /permission denied for schema alpha/);
});

describe('schema isolation on PostgreSQL, each service in its own database', {
  skip: needs('postgres'),
}, () => {
  let alpha: Database & { databaseName?: string };
  let beta: Database;
  const dropped: Array<() => Promise<void>> = [];
  after(async () => {
    for (const drop of dropped) await drop();
  });
  before(async () => {
    alpha = await freshDatabase('postgres', 'alpha', (drop) => dropped.push(drop));
    beta = await freshDatabase('postgres', 'beta', (drop) => dropped.push(drop));
    await migrate(alpha, ledger('alpha'));
    await migrate(beta, ledger('beta'));
  });

  // In beta's database there is no schema alpha to reach at all.
  neighbourRules(
    () => ({ alpha, beta }),
    /relation "alpha\.ledger" does not exist|schema "alpha" does not exist/,
  );

  test("a service cannot name its neighbour's database", async () => {
    await refused(
      beta,
      `SELECT * FROM ${alpha.databaseName}.alpha.ledger`,
      /cross-database references are not implemented/,
    );
  });
});

describe('schema isolation on PostgreSQL, two services sharing one database', {
  skip: needs('postgres'),
}, () => {
  let alpha: Database & { databaseName?: string };
  let beta: Database;
  const dropped: Array<() => Promise<void>> = [];
  after(async () => {
    await beta?.close();
    for (const drop of dropped) await drop();
  });
  before(async () => {
    alpha = await freshDatabase('postgres', 'alpha', (drop) => dropped.push(drop));
    const url = new URL(testPostgresUrl());
    url.pathname = `/${alpha.databaseName}`;
    beta = await openPostgresDatabase({
      service: 'beta',
      serverUrl: testPostgresUrl(),
      databaseUrl: url.toString(),
      poolMax: 2,
    });
    await migrate(alpha, ledger('alpha'));
    await migrate(beta, ledger('beta'));
  });
  neighbourRules(() => ({ alpha, beta }), /permission denied for schema alpha/);
});
