import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createService } from '../src/create-service.ts';
import { notesWithoutDatabase } from './support.ts';

const notes = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
after(() => notes.close());

const response = await notes.app.inject({ url: '/openapi.json' });
const document = response.json();

describe('/openapi.json', () => {
  test('is an OpenAPI 3.1 document titled after the service', () => {
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^application\/json/);
    assert.equal(document.openapi, '3.1.0');
    assert.equal(document.info.title, 'lattice notes');
    assert.equal(document.info.version, '0.1.0');
  });

  test("lists the service's routes and hides the platform's own", () => {
    assert.deepEqual(Object.keys(document.paths).sort(), [
      '/boom',
      '/greeting',
      '/notes',
      '/notes/{id}',
      '/slow',
    ]);
    assert.deepEqual(Object.keys(document.paths['/notes']), ['post']);
    assert.deepEqual(Object.keys(document.paths['/notes/{id}']), ['get']);
  });

  test('POST /notes documents its JSON body schema', () => {
    const body = document.paths['/notes'].post.requestBody;
    assert.equal(body.required, true);
    const schema = body.content['application/json'].schema;
    assert.equal(schema.type, 'object');
    assert.deepEqual(schema.required, ['text']);
    assert.deepEqual(schema.properties.text, { type: 'string', minLength: 1, maxLength: 200 });
    assert.deepEqual(schema.properties.tags, { type: 'array', items: { type: 'string' } });
  });

  test('path and query parameters are documented with their types', () => {
    assert.deepEqual(document.paths['/notes/{id}'].get.parameters, [
      { schema: { type: 'integer' }, in: 'path', name: 'id', required: true },
    ]);
    assert.deepEqual(document.paths['/slow'].get.parameters, [
      { schema: { type: 'integer', maximum: 10_000 }, in: 'query', name: 'ms', required: true },
    ]);
  });
});
