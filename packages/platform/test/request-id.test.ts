import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createService } from '../src/create-service.ts';
import { notesWithoutDatabase } from './support.ts';

const notes = await createService(notesWithoutDatabase, { env: { LOG_LEVEL: 'silent' } });
after(() => notes.close());

const GENERATED = /^[\w-]{16}$/;

function get(url: string, headers: Record<string, string> = {}) {
  return notes.app.inject({ url, headers });
}

describe('request id', () => {
  test('an incoming x-request-id is echoed in the response header', async () => {
    const response = await get('/greeting', { 'x-request-id': 'edge-7f3a:42.b_c' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-request-id'], 'edge-7f3a:42.b_c');
  });

  test('an incoming x-request-id is echoed on an error response too', async () => {
    const response = await get('/boom', { 'x-request-id': 'req-500' });
    assert.equal(response.statusCode, 500);
    assert.equal(response.headers['x-request-id'], 'req-500');
  });

  test('a malformed x-request-id is replaced by a generated one', async () => {
    for (const malformed of ['has spaces in it', '<script>', 'x'.repeat(129), 'line\tbreak']) {
      const response = await get('/greeting', { 'x-request-id': malformed });
      const id = String(response.headers['x-request-id']);
      assert.notEqual(id, malformed);
      assert.match(id, GENERATED, `${JSON.stringify(malformed)} gave ${id}`);
    }
  });

  test('a request without x-request-id gets a fresh id, different each time', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const id = String((await get('/greeting')).headers['x-request-id']);
      assert.match(id, GENERATED);
      ids.add(id);
    }
    assert.equal(ids.size, 5);
  });
});
