import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { createSigningKey } from '@lattice/platform/testing';
import {
  accessToken,
  addUser,
  applyRegistration,
  call,
  eventually,
  registeredEvent,
  type UsersService,
  uniqueEmail,
} from './support/harness.ts';

export function meBehaviours(svc: () => UsersService): void {
  describe('GET and PATCH /users/me', () => {
    test('GET /me answers the profile registration created, with default locale and time zone', async () => {
      const caller = { userId: randomUUID(), tenantId: randomUUID(), roles: ['admin'] };
      const email = uniqueEmail('ada');
      const time = '2025-03-01T10:00:00.000Z';
      await applyRegistration(svc(), registeredEvent({ ...caller, email, name: 'Ada', time }));
      const response = await call(svc(), 'GET', '/me', { token: await accessToken(caller) });
      assert.equal(response.statusCode, 200);
      assert.deepEqual(response.json(), {
        id: caller.userId,
        email,
        name: 'Ada',
        tenantId: caller.tenantId,
        roles: ['admin'],
        locale: 'en',
        timezone: 'UTC',
        createdAt: time,
        updatedAt: time,
      });
    });

    test('GET /me answers 404 PENDING with Retry-After until the registration arrives on the bus, then 200', async () => {
      const caller = { userId: randomUUID(), tenantId: randomUUID(), roles: ['member'] };
      const token = await accessToken(caller);
      const pending = await call(svc(), 'GET', '/me', { token });
      assert.equal(pending.statusCode, 404);
      assert.equal(pending.headers['retry-after'], '1');
      assert.match(String(pending.headers['content-type']), /^application\/problem\+json/);
      const problem = pending.json();
      assert.equal(problem.code, 'USERS_PROFILE_PENDING');
      assert.match(problem.detail, /within moments/);

      await svc().bus.publish([registeredEvent(caller)]);
      const ready = await eventually('the profile', async () => {
        const response = await call(svc(), 'GET', '/me', { token });
        return response.statusCode === 200 ? response : undefined;
      });
      assert.equal(ready.json().id, caller.userId);
    });

    test('every route answers 401 without a token, or with one signed by another key', async () => {
      const user = await addUser(svc(), { roles: ['admin'] });
      const forged = await accessToken(user, {}, await createSigningKey());
      const routes = [
        ['GET', '/me'],
        ['PATCH', '/me'],
        ['GET', ''],
        ['GET', `/${user.userId}`],
        ['DELETE', `/${randomUUID()}`],
      ] as const;
      for (const [method, path] of routes) {
        for (const token of [undefined, forged]) {
          const response = await call(svc(), method, path, {
            ...(token ? { token } : {}),
            ...(method === 'PATCH' ? { payload: { name: 'X' } } : {}),
          });
          assert.equal(response.statusCode, 401, `${method} ${path} ${token ? 'forged' : 'none'}`);
          assert.equal(response.json().code, 'UNAUTHORIZED');
        }
      }
    });

    test('PATCH /me changes name, locale and time zone, stored canonical', async () => {
      const user = await addUser(svc(), { time: '2025-01-01T00:00:00.000Z' });
      const response = await call(svc(), 'PATCH', '/me', {
        token: user.token,
        payload: { name: '  Grace Hopper ', locale: 'en-gb', timezone: 'america/new_york' },
      });
      assert.equal(response.statusCode, 200);
      const profile = response.json();
      assert.equal(profile.name, 'Grace Hopper');
      assert.equal(profile.locale, 'en-GB');
      assert.equal(profile.timezone, 'America/New_York');
      assert.ok(profile.updatedAt > profile.createdAt, 'updatedAt moves');

      const again = await call(svc(), 'GET', '/me', { token: user.token });
      assert.deepEqual(again.json(), profile);

      const partial = await call(svc(), 'PATCH', '/me', {
        token: user.token,
        payload: { timezone: 'Asia/Tokyo' },
      });
      assert.equal(partial.json().timezone, 'Asia/Tokyo');
      assert.equal(partial.json().locale, 'en-GB', 'fields not sent are kept');
    });

    test('PATCH /me with an empty body answers 200 and leaves updatedAt alone', async () => {
      const user = await addUser(svc(), { time: '2025-01-01T00:00:00.000Z' });
      const response = await call(svc(), 'PATCH', '/me', { token: user.token, payload: {} });
      assert.equal(response.statusCode, 200);
      assert.equal(response.json().updatedAt, '2025-01-01T00:00:00.000Z');
    });

    test('PATCH /me refuses invalid values with a 400 naming the field, and changes nothing', async () => {
      const user = await addUser(svc(), { name: 'Original' });
      const cases: Array<[object, string]> = [
        [{ locale: 'en_US' }, 'body.locale'],
        [{ locale: 'not a locale' }, 'body.locale'],
        [{ timezone: 'Mars/Olympus_Mons' }, 'body.timezone'],
        [{ timezone: '+01:00' }, 'body.timezone'],
        [{ name: '' }, 'body.name'],
        [{ name: '   ' }, 'body.name'],
        [{ name: 'x'.repeat(101) }, 'body.name'],
        [{ name: 42 }, 'body.name'],
        [{ email: 'me@evil.test' }, 'body.email'],
        [{ name: 'Fine', locale: 'xx_YY' }, 'body.locale'],
      ];
      for (const [payload, field] of cases) {
        const response = await call(svc(), 'PATCH', '/me', { token: user.token, payload });
        assert.equal(response.statusCode, 400, JSON.stringify(payload));
        const problem = response.json();
        assert.equal(problem.code, 'VALIDATION_FAILED');
        assert.deepEqual(
          problem.errors.map((e: { field: string }) => e.field),
          [field],
          JSON.stringify(payload),
        );
        assert.match(problem.detail, new RegExp(field.replace('.', '\\.')));
      }
      const after = (await call(svc(), 'GET', '/me', { token: user.token })).json();
      assert.equal(after.name, 'Original');
      assert.equal(after.locale, 'en');
    });

    test('PATCH /me before the profile exists answers 404 PENDING with Retry-After', async () => {
      const token = await accessToken({
        userId: randomUUID(),
        tenantId: randomUUID(),
        roles: ['member'],
      });
      const response = await call(svc(), 'PATCH', '/me', { token, payload: { name: 'Early' } });
      assert.equal(response.statusCode, 404);
      assert.equal(response.headers['retry-after'], '1');
      assert.equal(response.json().code, 'USERS_PROFILE_PENDING');
    });

    test('a token whose subject is not a user id answers 404, not a database error', async () => {
      const token = await accessToken({
        userId: 'service:notifications',
        tenantId: randomUUID(),
        roles: ['member'],
      });
      const response = await call(svc(), 'GET', '/me', { token });
      assert.equal(response.statusCode, 404);
      assert.equal(response.json().code, 'USERS_NOT_FOUND');
    });
  });
}
