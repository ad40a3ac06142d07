// Pure functions with many edge cases, tested directly; everything else goes through HTTP.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeKeysetCursor, encodeKeysetCursor } from '@lattice/platform';
import { canonicalJson, requestHash } from '../src/domain/idempotency.ts';
import { TodosErrors } from '../src/errors.ts';
import { etagOf, noneMatch, preconditionOf } from '../src/routes/etags.ts';

describe('cursor', () => {
  test('round-trips the position of the last item, opaque and URL-safe', () => {
    const position = {
      createdAt: new Date('2025-01-02T03:04:05.678Z'),
      id: '0195f3a0-7b1c-7000-8000-000000000001',
    };
    const cursor = encodeKeysetCursor(position);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeKeysetCursor(cursor, TodosErrors.invalidCursor), position);
  });

  test('refuses what it did not write, naming querystring.cursor', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'not-base64-json',
      encode({}),
      encode(['2025-01-02T03:04:05.678Z']),
      encode(['2025-01-02', '0195f3a0-7b1c-7000-8000-000000000001']),
      encode(['2025-01-02T03:04:05.678Z', 'not-a-uuid']),
      encode([42, '0195f3a0-7b1c-7000-8000-000000000001']),
    ]) {
      assert.throws(
        () => decodeKeysetCursor(cursor, TodosErrors.invalidCursor),
        (error: { code?: string; extensions?: { errors: Array<{ field: string }> } }) =>
          error.code === 'TODOS_INVALID_CURSOR' &&
          error.extensions?.errors[0]?.field === 'querystring.cursor',
        cursor,
      );
    }
  });
});

describe('ETags', () => {
  test('are the version, quoted (strong)', () => {
    assert.equal(etagOf(12), '"12"');
  });

  test('If-Match: * matches anything, weak tags and foreign tags never match', () => {
    assert.deepEqual(preconditionOf(undefined), undefined);
    assert.deepEqual(preconditionOf(' * '), { kind: 'any' });
    assert.deepEqual(preconditionOf('"3"'), { kind: 'versions', versions: [3] });
    assert.deepEqual(preconditionOf('"1", W/"2" ,"x,y", "04"'), {
      kind: 'versions',
      versions: [1],
    });
  });

  test('a malformed If-Match or If-None-Match is a 400 naming the header', () => {
    for (const header of ['3', '"3', '"3" "4"', '', 'W/3', '"3",,']) {
      assert.throws(
        () => preconditionOf(header),
        (error: { extensions?: { errors: Array<{ field: string }> } }) =>
          error.extensions?.errors[0]?.field === 'headers.if-match',
        JSON.stringify(header),
      );
    }
    assert.throws(() => noneMatch('nope', 1));
  });

  test('If-None-Match compares weakly', () => {
    assert.equal(noneMatch(undefined, 1), true);
    assert.equal(noneMatch('W/"1"', 1), false);
    assert.equal(noneMatch('"2", "1"', 1), false);
    assert.equal(noneMatch('"2"', 1), true);
    assert.equal(noneMatch('*', 1), false);
  });
});

describe('request hash', () => {
  test('ignores key order and spacing, not values', () => {
    assert.equal(
      canonicalJson({ b: [1, { d: 2, c: 3 }], a: 'x' }),
      '{"a":"x","b":[1,{"c":3,"d":2}]}',
    );
    assert.equal(
      requestHash({ title: 'a', dueAt: null }),
      requestHash({ dueAt: null, title: 'a' }),
    );
    assert.notEqual(requestHash({ title: 'a' }), requestHash({ title: 'a', description: '' }));
    assert.notEqual(requestHash({ title: '1' }), requestHash({ title: 1 }));
  });
});
