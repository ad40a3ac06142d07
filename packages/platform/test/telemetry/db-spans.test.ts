import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  sql,
} from 'kysely';
import { operationOf } from '../../src/telemetry/db-spans.ts';

interface Db {
  notes: { id: number; title: string };
}

// Compiles only: a query's node and text are all a span's name is made from.
const db = new Kysely<Db>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (kysely) => new PostgresIntrospector(kysely),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

test('a query span is named by its operation: builder queries by their node, raw SQL by its text', () => {
  assert.equal(operationOf(db.selectFrom('notes').selectAll().compile()), 'SELECT');
  assert.equal(
    operationOf(db.insertInto('notes').values({ id: 1, title: 't' }).compile()),
    'INSERT',
  );
  assert.equal(operationOf(db.updateTable('notes').set({ title: 'u' }).compile()), 'UPDATE');
  assert.equal(operationOf(db.deleteFrom('notes').compile()), 'DELETE');
  const withCte = db
    .with('recent', (qb) => qb.selectFrom('notes').select('id'))
    .updateTable('notes')
    .set({ title: 'x' })
    .compile();
  assert.equal(operationOf(withCte), 'UPDATE', 'the main statement, not the CTE');
  assert.equal(operationOf(sql`select 1`.compile(db)), 'SELECT');
  assert.equal(
    operationOf(
      sql`WITH written AS (INSERT INTO notes VALUES (1, 'a')) SELECT pg_notify('c', '')`.compile(
        db,
      ),
    ),
    'SELECT',
  );
  assert.equal(operationOf(sql`  vacuum notes`.compile(db)), 'VACUUM');
});
