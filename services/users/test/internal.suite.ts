import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, test } from 'node:test';
import { accessToken, addUser, call, type UsersService } from './support/harness.ts';

/** A service token as auth mints it for `caller` to call `callee`. */
function serviceToken(caller: string, callee = 'users'): Promise<string> {
  return accessToken(
    { userId: 'unused', tenantId: 'unused', roles: [] },
    {
      sub: `service:${caller}`,
      aud: `urn:lattice:service:${callee}`,
      tid: undefined,
      roles: undefined,
    },
  );
}

async function internalGet(svc: UsersService, id: string, tenantId: string, token: string) {
  return svc.app.inject({
    url: `/internal/users/${id}?tenantId=${tenantId}`,
    headers: { authorization: `Bearer ${token}` },
  });
}

export function internalBehaviours(svc: () => UsersService): void {
  describe('GET /internal/users/:id', () => {
    test('a service token reads the email, name, locale and time zone (defaults until chosen)', async () => {
      const user = await addUser(svc(), { name: 'Grace' });
      const token = await serviceToken('notifications');

      const before = await internalGet(svc(), user.userId, user.tenantId, token);
      assert.equal(before.statusCode, 200, before.body);
      assert.equal(before.json().name, 'Grace');
      assert.equal(before.json().locale, 'en');
      assert.equal(before.json().timezone, 'UTC');
      assert.match(before.json().email, /@example\.test$/);

      await call(svc(), 'PATCH', '/me', {
        token: user.token,
        payload: { locale: 'de-DE', timezone: 'Europe/Berlin' },
      });
      const after = await internalGet(svc(), user.userId, user.tenantId, token);
      assert.deepEqual(after.json(), {
        id: user.userId,
        tenantId: user.tenantId,
        email: before.json().email,
        name: 'Grace',
        locale: 'de-DE',
        timezone: 'Europe/Berlin',
      });
    });

    test('a user access token or a token for another service is 401; another tenant is 404', async () => {
      const user = await addUser(svc());
      const asUser = await internalGet(svc(), user.userId, user.tenantId, user.token);
      assert.equal(asUser.statusCode, 401);
      const elsewhere = await serviceToken('notifications', 'todos');
      assert.equal(
        (await internalGet(svc(), user.userId, user.tenantId, elsewhere)).statusCode,
        401,
      );

      const token = await serviceToken('notifications');
      const wrongTenant = await internalGet(svc(), user.userId, randomUUID(), token);
      assert.equal(wrongTenant.statusCode, 404);
      assert.equal(wrongTenant.json().code, 'USERS_NOT_FOUND');
      const malformed = await internalGet(svc(), 'nope', user.tenantId, token);
      assert.equal(malformed.statusCode, 400);
    });
  });
}
