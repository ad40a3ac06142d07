import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { sql } from 'kysely';
import { namedStatementClient, StatementNames } from '../src/db/named-statements.ts';
import { dropDatabase, openPostgresDatabase } from '../src/db/open-postgres.ts';
import { needs, testPostgresUrl } from '../src/testing/index.ts';
import { uniqueService } from './support.ts';

describe('statement names', () => {
  test('a text is named from its second run on, always under the same name', () => {
    const names = new StatementNames();
    assert.equal(names.nameOf('SELECT $1'), undefined);
    const name = names.nameOf('SELECT $1');
    assert.ok(name);
    assert.equal(names.nameOf('SELECT $1'), name);
    assert.equal(names.nameOf('SELECT $2'), undefined);
    assert.notEqual(names.nameOf('SELECT $2'), name);
  });

  test('a script of several commands is never named (a prepared statement holds one)', () => {
    const names = new StatementNames();
    const script = 'CREATE TABLE a (id int); CREATE TABLE b (id int)';
    names.nameOf(script);
    assert.equal(names.nameOf(script), undefined);
  });

  test('no more than the cap are named; the others stay unnamed', () => {
    const names = new StatementNames(2);
    for (const text of ['a', 'a', 'b', 'b', 'c', 'c', 'c']) names.nameOf(text);
    assert.equal(names.size, 2);
    assert.ok(names.nameOf('a'));
    assert.ok(names.nameOf('b'));
    assert.equal(names.nameOf('c'), undefined);
  });
});

describe('prepared statements on postgres', { skip: needs('postgres') }, () => {
  async function open(preparedStatements: boolean) {
    const service = uniqueService('named');
    const name = `lattice_test_${service}_${randomBytes(4).toString('hex')}`;
    const url = new URL(testPostgresUrl());
    url.pathname = `/${name}`;
    // One connection, so the statements it prepared are the ones pg_prepared_statements shows.
    const database = await openPostgresDatabase({
      service,
      serverUrl: testPostgresUrl(),
      databaseUrl: url.toString(),
      poolMax: 1,
      preparedStatements,
    });
    await sql`CREATE TABLE items (id integer PRIMARY KEY, name text NOT NULL)`.execute(database.db);
    const db = database.db.withTables<{ items: { id: number; name: string } }>();
    return {
      database,
      db,
      /** The same INSERT three times. */
      insertThree: async () => {
        for (const id of [1, 2, 3]) {
          await db
            .insertInto('items')
            .values({ id, name: `item ${id}` })
            .execute();
        }
      },
      prepared: async () =>
        (
          await sql<{
            statement: string;
          }>`SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%items%'`.execute(
            database.db,
          )
        ).rows.map((row) => row.statement),
      drop: async () => {
        await database.close();
        await dropDatabase(testPostgresUrl(), name);
      },
    };
  }

  test('a statement run again is prepared once on its connection and answers as before', async (t) => {
    const { db, insertThree, prepared, drop } = await open(true);
    t.after(drop);
    await insertThree();
    const find = (id: number) =>
      db.selectFrom('items').selectAll().where('id', '=', id).executeTakeFirst();
    assert.equal(await find(1).then((row) => row?.name), 'item 1');
    assert.deepEqual(await find(2), { id: 2, name: 'item 2' });
    assert.equal(await find(9), undefined);
    const statements = await prepared();
    // The insert and the select, each once, whatever the number of runs.
    assert.equal(statements.length, 2, statements.join('\n'));
    assert.ok(statements.some((text) => /^insert into "items"/.test(text)));
    assert.ok(statements.some((text) => /^select \* from "items"/.test(text)));
  });

  test('a column added while statements are prepared: run again at once, or after the failed transaction', async (t) => {
    const { database, db, insertThree, drop } = await open(true);
    t.after(drop);
    await insertThree();
    const all = () => db.selectFrom('items').selectAll().where('id', '=', 1).executeTakeFirst();
    await all();
    assert.deepEqual(await all(), { id: 1, name: 'item 1' });
    // A migration of a newer version, while this one runs.
    await sql`ALTER TABLE items ADD COLUMN colour text`.execute(database.db);
    assert.deepEqual(await all(), { id: 1, name: 'item 1', colour: null });

    const inTransaction = () =>
      database.transaction(async (trx) => {
        const { rows } = await sql`SELECT * FROM items WHERE id = ${1}`.execute(trx);
        return rows[0];
      });
    await inTransaction();
    await inTransaction();
    await sql`ALTER TABLE items ADD COLUMN size text`.execute(database.db);
    // Inside a transaction the statement cannot be run again: the transaction has failed.
    await assert.rejects(inTransaction(), /cached plan must not change result type/);
    // Its retry finds the statement prepared afresh.
    assert.deepEqual(await inTransaction(), { id: 1, name: 'item 1', colour: null, size: null });
  });

  test('a statement is prepared again as it keeps running, so its plan follows a table that grew', async (t) => {
    const Client = namedStatementClient(new StatementNames(200, { replanAfter: 4 }));
    const client = new Client({ connectionString: testPostgresUrl() });
    await client.connect();
    t.after(() => client.end());
    // A table of one row, analyzed: for it, reading the whole table is the cheapest plan.
    await client.query('CREATE TEMP TABLE grows (id integer PRIMARY KEY, pad text)');
    await client.query("INSERT INTO grows VALUES (1, 'x')");
    await client.query('ANALYZE grows');
    // A prepared statement's generic plan from its first run, as PostgreSQL keeps it later on.
    await client.query('SET plan_cache_mode = force_generic_plan');
    const find = 'SELECT id FROM grows WHERE id = ANY($1::integer[])';
    const planOf = async (name: string) =>
      (await client.query(`EXPLAIN EXECUTE ${name}('{1}')`)).rows
        .map((row: Record<string, string>) => row['QUERY PLAN'])
        .join('\n');
    const prepared = async () =>
      (
        await client.query(
          "SELECT name FROM pg_prepared_statements WHERE statement LIKE '%FROM grows%' ORDER BY name",
        )
      ).rows.map((row: { name: string }) => row.name);

    // The first run goes unnamed; from the second it is lattice_0.
    for (let run = 0; run < 2; run++) await client.query(find, [[1]]);
    assert.deepEqual(await prepared(), ['lattice_0']);
    assert.match(await planOf('lattice_0'), /Seq Scan on grows/);

    await client.query(
      "INSERT INTO grows SELECT n, repeat('x', 100) FROM generate_series(2, 20000) AS n",
    );
    for (let run = 0; run < 3; run++) await client.query(find, [[1]]);
    assert.match(await planOf('lattice_0'), /Seq Scan on grows/, 'the plan kept is stale');

    // Its fifth run under that name: prepared again, planned for 20 000 rows.
    const { rows } = await client.query(find, [[1]]);
    assert.deepEqual(rows, [{ id: 1 }]);
    assert.deepEqual(await prepared(), ['lattice_0_r1'], 'the old statement is deallocated');
    assert.doesNotMatch(await planOf('lattice_0_r1'), /Seq Scan/);
    assert.match(await planOf('lattice_0_r1'), /Index|Bitmap/);

    // Next after eight times as many runs; inside a transaction the old one is kept until it
    // ends, as a DEALLOCATE that failed there would fail the transaction.
    await client.query('BEGIN', []);
    for (let run = 0; run < 31; run++) await client.query(find, [[1]]);
    assert.deepEqual(await prepared(), ['lattice_0_r1']);
    await client.query(find, [[1]]);
    assert.deepEqual(await prepared(), ['lattice_0_r1', 'lattice_0_r2']);
    await client.query('COMMIT', []);
    assert.deepEqual(await prepared(), ['lattice_0_r2']);
  });

  test('DATABASE_PREPARED_STATEMENTS=false prepares nothing', async (t) => {
    const { insertThree, prepared, drop } = await open(false);
    t.after(drop);
    await insertThree();
    assert.deepEqual(await prepared(), []);
  });
});
