import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { sql } from 'kysely';
import { createService } from '../../src/create-service.ts';
import type { Database } from '../../src/db/database.ts';
import { MigrationError, migrate, readMigrations } from '../../src/db/migrations.ts';
import { openPGliteDatabase } from '../../src/db/open-pglite.ts';
import { openPostgresDatabase } from '../../src/db/open-postgres.ts';
import { testPostgresUrl } from '../../src/testing/index.ts';
import { notesService } from '../fixtures/notes/notes-service.ts';
import {
  databaseKinds,
  freshDatabase,
  migrationsDir,
  sharedPGlite,
  uniqueService,
} from '../support.ts';

const threeSteps = {
  '001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY);',
  // Needs 001: proves the order, as does 010 sorting after 002.
  '002_item_names.sql': 'ALTER TABLE items ADD COLUMN name text;',
  '010_item_name_index.sql': 'CREATE INDEX items_name ON items (name);',
};

async function recorded(database: Database) {
  const result = await sql<{
    name: string;
    checksum: string;
    applied_at: Date;
  }>`SELECT name, checksum, applied_at FROM schema_migrations ORDER BY name`.execute(database.db);
  return result.rows;
}

async function tableExists(database: Database, table: string): Promise<boolean> {
  const result = await sql<{
    found: string | null;
  }>`SELECT to_regclass(${table})::text AS found`.execute(database.db);
  return result.rows[0]?.found != null;
}

/** Another connection to the same database as `database`, as a second instance would have. */
async function secondInstance(database: Database & { databaseName?: string }, service: string) {
  if (database.kind === 'pglite') return openPGliteDatabase(await sharedPGlite(), service);
  const url = new URL(testPostgresUrl());
  url.pathname = `/${database.databaseName}`;
  return openPostgresDatabase({
    service,
    serverUrl: testPostgresUrl(),
    databaseUrl: url.toString(),
    poolMax: 2,
  });
}

test('a migration file not named NNN_name.sql is refused, not skipped', async () => {
  const dir = await migrationsDir({
    '001_ok.sql': 'SELECT 1;',
    '1_short.sql': 'SELECT 1;',
    '002_CamelCase.sql': 'SELECT 1;',
    'README.md': 'not a migration',
  });
  await assert.rejects(readMigrations(dir), (error: unknown) => {
    assert.ok(error instanceof MigrationError);
    assert.match(error.message, /NNN_name\.sql: 1_short\.sql, 002_CamelCase\.sql in /);
    assert.doesNotMatch(error.message, /001_ok|README/);
    return true;
  });
});

for (const { kind, skip } of databaseKinds) {
  describe(`migrations on ${kind}`, { skip }, () => {
    test('migrations apply in file order, once, each recorded with its checksum', async () => {
      const database = await freshDatabase(kind, uniqueService('ordered'));
      const files = await readMigrations(await migrationsDir(threeSteps));
      assert.deepEqual(
        files.map((f) => f.name),
        ['001_items.sql', '002_item_names.sql', '010_item_name_index.sql'],
      );

      assert.deepEqual(await migrate(database, files), [
        '001_items.sql',
        '002_item_names.sql',
        '010_item_name_index.sql',
      ]);
      const first = await recorded(database);
      assert.deepEqual(
        first.map((r) => r.name),
        Object.keys(threeSteps),
      );
      for (const row of first) assert.match(row.checksum, /^[0-9a-f]{64}$/);

      assert.deepEqual(await migrate(database, files), [], 'a second run applies nothing');
      assert.deepEqual(await recorded(database), first);
      await sql`INSERT INTO items (id, name) VALUES (1, 'one')`.execute(database.db);
    });

    test('a second createService on the same database applies nothing and keeps the data', async () => {
      const database = await freshDatabase(kind, 'notes');
      const env = { LOG_LEVEL: 'silent' };
      const first = await createService(notesService, { env, database });
      const created = await first.app.inject({
        method: 'POST',
        url: '/notes',
        payload: { text: 'kept', tags: ['a'] },
      });
      assert.equal(created.statusCode, 201);
      const before = await recorded(database);
      assert.deepEqual(
        before.map((r) => r.name),
        // The kit's outbox and inbox come first, then the service's own.
        ['000_lattice_inbox.sql', '000_lattice_outbox.sql', '001_notes.sql', '002_note_tags.sql'],
      );
      await first.close();

      const second = await createService(notesService, { env, database });
      try {
        assert.deepEqual(await recorded(database), before, 'same rows, same applied_at');
        const read = await second.app.inject({ url: `/notes/${created.json().id}` });
        assert.equal(read.statusCode, 200);
        assert.equal(read.json().text, 'kept');
        assert.deepEqual(read.json().tags, ['a']);
      } finally {
        await second.close();
      }
    });

    test('instances migrating at the same moment apply each file exactly once', async () => {
      const service = uniqueService('racing');
      const database = await freshDatabase(kind, service);
      const others = await Promise.all([1, 2, 3].map(() => secondInstance(database, service)));
      try {
        const files = await readMigrations(await migrationsDir(threeSteps));
        const results = await Promise.all([database, ...others].map((d) => migrate(d, files)));
        assert.deepEqual(
          results.flat().sort(),
          Object.keys(threeSteps),
          'every file applied by exactly one instance',
        );
        assert.equal((await recorded(database)).length, 3);
      } finally {
        for (const other of others) await other.close();
      }
    });

    test('a migration changed after it was applied stops the start', async () => {
      const service = uniqueService('edited');
      const database = await freshDatabase(kind, service);
      const dir = await migrationsDir(threeSteps);
      await migrate(database, await readMigrations(dir));
      await writeFile(join(dir, '002_item_names.sql'), 'ALTER TABLE items ADD COLUMN title text;');

      const definition = {
        name: service,
        migrations: pathToFileURL(`${dir}/`),
        routes: () => {},
      };
      await assert.rejects(
        createService(definition, { env: { LOG_LEVEL: 'silent' }, database }),
        (error: unknown) => {
          assert.ok(error instanceof MigrationError);
          assert.match(
            error.message,
            /Migration 002_item_names\.sql was changed after it was applied/,
          );
          return true;
        },
      );
      const names = (await recorded(database)).map((r) => r.name);
      assert.deepEqual(
        names.filter((n) => !n.startsWith('000_lattice_')),
        ['001_items.sql', '002_item_names.sql', '010_item_name_index.sql'],
        'nothing recorded or re-run',
      );
    });

    test('a failing migration leaves neither its changes nor its record, and later files wait', async () => {
      const database = await freshDatabase(kind, uniqueService('failing'));
      const dir = await migrationsDir({
        '001_items.sql': 'CREATE TABLE items (id int PRIMARY KEY);',
        '002_half_done.sql': `
          CREATE TABLE half_done (id int);
          INSERT INTO items (id) VALUES (1);
          SELECT 1 / 0;`,
        '003_later.sql': 'CREATE TABLE later (id int);',
      });

      await assert.rejects(migrate(database, await readMigrations(dir)), (error: unknown) => {
        assert.ok(error instanceof MigrationError);
        assert.match(error.message, /Migration 002_half_done\.sql failed: division by zero/);
        return true;
      });
      assert.deepEqual(
        (await recorded(database)).map((r) => r.name),
        ['001_items.sql'],
      );
      assert.equal(await tableExists(database, 'items'), true);
      assert.equal(await tableExists(database, 'half_done'), false, 'its DDL rolled back');
      assert.equal(await tableExists(database, 'later'), false, 'no file after it ran');
      const items = await sql`SELECT id FROM items`.execute(database.db);
      assert.equal(items.rows.length, 0, 'its inserts rolled back');

      // Fixed, the same directory applies from where it stopped.
      await writeFile(join(dir, '002_half_done.sql'), 'CREATE TABLE half_done (id int);');
      assert.deepEqual(await migrate(database, await readMigrations(dir)), [
        '002_half_done.sql',
        '003_later.sql',
      ]);
    });
  });
}
