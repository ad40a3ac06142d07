import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { buildTestService, needs } from '../src/testing/index.ts';
import { notesService } from './fixtures/notes/notes-service.ts';
import { fileScope } from './support.ts';

// One service for the file, on PostgreSQL when it runs (a new database costs a fraction of a
// PGlite's seconds): how errors are answered does not depend on the database kind.
const notes = await buildTestService(fileScope, notesService, {
  db: needs('postgres') ? 'pglite' : 'postgres',
  env: { BODY_LIMIT_BYTES: '1024' },
});

const TRACE_ID = /^[0-9a-f]{32}$/;

/** Asserts the RFC 9457 shape every error shares; returns the problem for the specifics. */
function problem(response: LightMyRequestResponse, status: number, code: string) {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const body = response.json();
  assert.equal(body.status, status);
  assert.equal(body.code, code);
  assert.equal(body.type, `urn:lattice:problem:${code.toLowerCase().replace(/_/g, '-')}`);
  assert.equal(typeof body.title, 'string');
  assert.match(body.traceId, TRACE_ID);
  return body;
}

function postNotes(payload: string | object, headers: Record<string, string> = {}) {
  return notes.app.inject({
    method: 'POST',
    url: '/notes',
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

describe('problem+json errors', () => {
  test('a valid note is created (the baseline the errors below depart from)', async () => {
    const response = await postNotes({ text: 'hello', tags: ['x'] });
    assert.equal(response.statusCode, 201);
    assert.equal(response.json().text, 'hello');
  });

  test('malformed JSON answers 400 MALFORMED_BODY', async () => {
    const body = problem(await postNotes('{"text":'), 400, 'MALFORMED_BODY');
    assert.equal(body.instance, '/notes');
    assert.match(body.detail, /not valid JSON/);
  });

  test('an empty JSON body answers 400 MALFORMED_BODY', async () => {
    problem(await postNotes(''), 400, 'MALFORMED_BODY');
  });

  test('a field of the wrong type answers 400 naming body.text', async () => {
    const body = problem(await postNotes({ text: 5 }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(body.errors, [{ field: 'body.text', message: 'must be string' }]);
    assert.equal(body.detail, 'body.text must be string');
  });

  test('an array element of the wrong type is named by its index', async () => {
    const body = problem(await postNotes({ text: 'ok', tags: [1] }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(body.errors, [{ field: 'body.tags[0]', message: 'must be string' }]);
  });

  test('every invalid field is listed, the missing one included', async () => {
    const body = problem(await postNotes({ tags: 'x', color: 'red' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(body.errors.map((e: { field: string }) => e.field).sort(), [
      'body.color',
      'body.tags',
      'body.text',
    ]);
    assert.deepEqual(
      body.errors.find((e: { field: string }) => e.field === 'body.text'),
      { field: 'body.text', message: 'is required' },
    );
  });

  test('an unknown field answers 400 instead of being dropped', async () => {
    const body = problem(await postNotes({ text: 'hi', color: 'red' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(body.errors, [{ field: 'body.color', message: 'is not allowed' }]);
  });

  test('a path parameter of the wrong type answers 400 naming params.id', async () => {
    const body = problem(await notes.app.inject({ url: '/notes/abc' }), 400, 'VALIDATION_FAILED');
    assert.deepEqual(body.errors, [{ field: 'params.id', message: 'must be integer' }]);
  });

  test('a body over BODY_LIMIT_BYTES answers 413, one under it is accepted', async () => {
    const fits = { text: 'fits', tags: ['x'.repeat(900)] };
    assert.ok(JSON.stringify(fits).length < 1024);
    assert.equal((await postNotes(fits)).statusCode, 201);

    const tooBig = { text: 'too big', tags: ['x'.repeat(1100)] };
    const body = problem(await postNotes(tooBig), 413, 'PAYLOAD_TOO_LARGE');
    assert.equal(body.instance, '/notes');
  });

  test('an unknown route answers 404 naming the method and path, not the query', async () => {
    const body = problem(
      await notes.app.inject({ method: 'GET', url: '/nowhere?token=abc' }),
      404,
      'NOT_FOUND',
    );
    assert.equal(body.detail, 'No route for GET /nowhere');
    assert.equal(body.instance, '/nowhere');
  });

  test('a coded AppError answers with its own status, code and detail', async () => {
    const body = problem(await notes.app.inject({ url: '/notes/999999' }), 404, 'NOTES_NOT_FOUND');
    assert.equal(body.title, 'Note not found');
    assert.equal(body.detail, 'No note 999999');
    assert.equal(body.instance, '/notes/999999');
  });

  test('an unexpected throw answers 500 without its message', async () => {
    const response = await notes.app.inject({ url: '/boom' });
    const body = problem(response, 500, 'INTERNAL');
    assert.equal(body.title, 'Internal server error');
    assert.doesNotMatch(
      response.body,
      /secret internal detail|hunter2|password|stack|notes-service/,
    );
  });

  test("an incoming traceparent's trace id is the problem's traceId", async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await notes.app.inject({
      url: '/boom',
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.equal(problem(response, 500, 'INTERNAL').traceId, traceId);
  });

  test('a malformed or all-zero traceparent gets a fresh trace id', async () => {
    for (const traceparent of [
      'garbage',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
    ]) {
      const response = await notes.app.inject({ url: '/nowhere', headers: { traceparent } });
      const body = problem(response, 404, 'NOT_FOUND');
      assert.ok(!traceparent.includes(body.traceId), `${traceparent} was trusted`);
    }
  });

  test('requests without a traceparent get distinct trace ids', async () => {
    const [a, b] = await Promise.all([
      notes.app.inject({ url: '/nowhere' }),
      notes.app.inject({ url: '/nowhere' }),
    ]);
    assert.notEqual(a!.json().traceId, b!.json().traceId);
  });
});

test('a request that waited out the pool for a database connection answers 503 with Retry-After, not 500', {
  skip: needs('postgres'),
}, async () => {
  const { default: pg } = await import('pg');
  const { toAppError } = await import('../src/problem.ts');
  const { testPostgresUrl } = await import('../src/testing/index.ts');
  const pool = new pg.Pool({
    connectionString: testPostgresUrl(),
    max: 1,
    connectionTimeoutMillis: 100,
  });
  const held = await pool.connect();
  try {
    const waited = await pool.connect().then(
      () => assert.fail('a second connection was handed out'),
      (error: unknown) => error,
    );
    const problem = toAppError(waited);
    assert.equal(problem.status, 503);
    assert.equal(problem.code, 'UNAVAILABLE');
    assert.equal(problem.headers?.['retry-after'], '1');
  } finally {
    held.release();
    await pool.end();
  }
});
