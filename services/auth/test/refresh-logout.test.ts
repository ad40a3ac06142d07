import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  type AuthService,
  databases,
  PASSWORD,
  post,
  registerUser,
  sharedAuthService,
  verifyWithJwks,
} from './support/harness.ts';

async function refresh(svc: AuthService, refreshToken: string) {
  return post(svc, '/refresh', { refreshToken });
}

for (const { kind, skip } of databases) {
  describe(`refresh and logout on ${kind}`, { skip }, () => {
    const svc = sharedAuthService(kind);

    test('POST /refresh answers a new pair and spends the presented token', async () => {
      const session = await registerUser(svc());
      const response = await refresh(svc(), session.refreshToken);
      assert.equal(response.statusCode, 200);
      const next = response.json();
      assert.notEqual(next.refreshToken, session.refreshToken);
      assert.notEqual(next.accessToken, session.accessToken);
      assert.deepEqual(next.user, session.user);
      const { payload } = await verifyWithJwks(svc(), next.accessToken);
      assert.equal(payload.sub, session.user.id);

      // The new token rotates in turn: a chain of refreshes keeps working.
      const third = await refresh(svc(), next.refreshToken);
      assert.equal(third.statusCode, 200);
    });

    test('a spent refresh token presented again answers 401 and revokes the whole family', async () => {
      const session = await registerUser(svc());
      const otherDevice = await post(svc(), '/login', {
        email: session.user.email,
        password: PASSWORD,
      });
      const rotated = (await refresh(svc(), session.refreshToken)).json();

      const replay = await refresh(svc(), session.refreshToken);
      assert.equal(replay.statusCode, 401);
      assert.equal(replay.json().code, 'AUTH_INVALID_REFRESH_TOKEN');

      // The legitimate holder's newer token dies with the family...
      const afterReplay = await refresh(svc(), rotated.refreshToken);
      assert.equal(afterReplay.statusCode, 401);
      // ...but another login's family is untouched.
      const other = await refresh(svc(), otherDevice.json().refreshToken);
      assert.equal(other.statusCode, 200);
    });

    test('two concurrent refreshes with one token: exactly one wins', async () => {
      const session = await registerUser(svc());
      const responses = await Promise.all(
        Array.from({ length: 4 }, () => refresh(svc(), session.refreshToken)),
      );
      const statuses = responses.map((r) => r.statusCode).sort();
      assert.deepEqual(statuses, [200, 401, 401, 401]);
      const issued = await svc()
        .context.db.db.selectFrom('refresh_tokens')
        .select('id')
        .where('user_id', '=', session.user.id)
        .execute();
      assert.equal(issued.length, 2, 'one token from register, one from the single winner');
    });

    test('POST /logout answers 204 and revokes the family', async () => {
      const session = await registerUser(svc());
      const rotated = (await refresh(svc(), session.refreshToken)).json();
      const response = await post(svc(), '/logout', { refreshToken: session.refreshToken });
      assert.equal(response.statusCode, 204);
      assert.equal(response.body, '');
      assert.equal((await refresh(svc(), rotated.refreshToken)).statusCode, 401);
    });

    test('POST /logout with an unknown token still answers 204 (nothing to reveal)', async () => {
      const response = await post(svc(), '/logout', { refreshToken: 'never-issued' });
      assert.equal(response.statusCode, 204);
    });

    test('POST /refresh with an expired or unknown token answers 401', async () => {
      const session = await registerUser(svc());
      await svc()
        .context.db.db.updateTable('refresh_tokens')
        .set({ expires_at: new Date(Date.now() - 1000) })
        .where('user_id', '=', session.user.id)
        .execute();
      assert.equal((await refresh(svc(), session.refreshToken)).statusCode, 401);
      assert.equal((await refresh(svc(), 'x'.repeat(43))).statusCode, 401);
    });

    test('POST /refresh of a user deleted since answers 401', async () => {
      const session = await registerUser(svc());
      await svc()
        .context.db.db.updateTable('users')
        .set({ deleted_at: new Date() })
        .where('id', '=', session.user.id)
        .execute();
      assert.equal((await refresh(svc(), session.refreshToken)).statusCode, 401);
      const login = await post(svc(), '/login', { email: session.user.email, password: PASSWORD });
      assert.equal(login.statusCode, 401);
    });

    test('refresh tokens are stored as SHA-256 hashes with a 30-day life', async () => {
      const session = await registerUser(svc());
      const rows = await svc()
        .context.db.db.selectFrom('refresh_tokens')
        .select(['token_hash', 'expires_at'])
        .where('user_id', '=', session.user.id)
        .execute();
      assert.equal(rows.length, 1);
      assert.notEqual(rows[0]!.token_hash, session.refreshToken);
      const days = (rows[0]!.expires_at.getTime() - Date.now()) / 86_400_000;
      assert.ok(days > 29.9 && days <= 30, `expires in ${days} days`);
    });
  });
}
