import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { decodeKeysetCursor, encodeKeysetCursor } from '@lattice/platform';
import { canonicalLocale, canonicalTimeZone } from '../src/domain/preferences.ts';
import { UsersErrors } from '../src/errors.ts';

describe('cursor', () => {
  test('round-trips the position of the last item, opaque and URL-safe', () => {
    const position = { createdAt: new Date('2025-05-06T07:08:09.123Z'), id: randomUUID() };
    const cursor = encodeKeysetCursor(position);
    assert.match(cursor, /^[A-Za-z0-9_-]+$/);
    assert.deepEqual(decodeKeysetCursor(cursor, UsersErrors.invalidCursor), position);
  });

  test('refuses what it did not write', () => {
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const id = randomUUID();
    for (const cursor of [
      '',
      '%%%',
      encode({ createdAt: '2025-01-01T00:00:00.000Z', id }),
      encode(['2025-01-01T00:00:00.000Z']),
      encode(['2025-01-01', id]),
      encode(['2025-01-01T00:00:00.000Z', 'robert; drop table']),
      encode(['2025-01-01T00:00:00.000Z', id, 'extra']),
    ]) {
      assert.throws(
        () => decodeKeysetCursor(cursor, UsersErrors.invalidCursor),
        (error: { code?: string; status?: number }) =>
          error.code === 'USERS_INVALID_CURSOR' && error.status === 400,
        cursor,
      );
    }
  });
});

describe('preferences', () => {
  test('locales are BCP 47 tags, stored canonical', () => {
    assert.equal(canonicalLocale('en-us'), 'en-US');
    assert.equal(canonicalLocale('zh-hant-tw'), 'zh-Hant-TW');
    assert.equal(canonicalLocale('fr'), 'fr');
    for (const bad of ['en_US', '', 'english please', '12'])
      assert.equal(canonicalLocale(bad), undefined, bad);
  });

  test('time zones are IANA names, stored canonical; offsets are refused', () => {
    assert.equal(canonicalTimeZone('europe/paris'), 'Europe/Paris');
    assert.equal(canonicalTimeZone('UTC'), 'UTC');
    for (const bad of ['Mars/Base', '', '+01:00', '-0500', 'CEST+1'])
      assert.equal(canonicalTimeZone(bad), undefined, bad);
  });
});
