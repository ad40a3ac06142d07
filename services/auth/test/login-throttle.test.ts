import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import {
  databases,
  PASSWORD,
  post,
  registerUser,
  sharedAuthService,
  uniqueEmail,
  uniqueIp,
} from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`login throttling on ${kind}`, { skip }, () => {
    const svc = sharedAuthService(kind, {
      AUTH_LOGIN_FREE_FAILURES_PER_ACCOUNT: '3',
      AUTH_LOGIN_FREE_FAILURES_PER_IP: '5',
      AUTH_LOGIN_BACKOFF_BASE_SECONDS: '1',
      AUTH_LOGIN_BACKOFF_MAX_SECONDS: '2',
    });

    test('failed logins for one account open a 429 window with Retry-After, which ends', async () => {
      const { user } = await registerUser(svc());
      const wrong = { email: user.email, password: 'not the password' };
      // From different IPs: the account's own budget is what runs out.
      for (let i = 0; i < 3; i++)
        assert.equal((await post(svc(), '/login', wrong)).statusCode, 401);

      const blocked = await post(svc(), '/login', { email: user.email, password: PASSWORD });
      assert.equal(blocked.statusCode, 429);
      assert.equal(blocked.headers['retry-after'], '1');
      assert.equal(blocked.json().code, 'AUTH_TOO_MANY_ATTEMPTS');

      await delay(1100);
      const after = await post(svc(), '/login', { email: user.email, password: PASSWORD });
      assert.equal(after.statusCode, 200, 'no lockout is permanent');
    });

    test('each further failure doubles the window, up to the cap', async () => {
      const email = uniqueEmail('unknown');
      const wrong = { email, password: 'not the password' };
      for (let i = 0; i < 3; i++) await post(svc(), '/login', wrong);
      await delay(1100);
      assert.equal((await post(svc(), '/login', wrong)).statusCode, 401);
      const blocked = await post(svc(), '/login', wrong);
      assert.equal(blocked.statusCode, 429, 'an unknown email is throttled like a known one');
      assert.equal(blocked.headers['retry-after'], '2');
    });

    test('one IP spraying many accounts answers 429 for every account, other IPs do not', async () => {
      const ip = uniqueIp();
      for (let i = 0; i < 5; i++) {
        const response = await post(
          svc(),
          '/login',
          { email: uniqueEmail(), password: 'guess123456' },
          { ip },
        );
        assert.equal(response.statusCode, 401);
      }
      const { user } = await registerUser(svc());
      const fromSprayer = await post(
        svc(),
        '/login',
        { email: user.email, password: PASSWORD },
        { ip },
      );
      assert.equal(fromSprayer.statusCode, 429);
      assert.ok(Number(fromSprayer.headers['retry-after']) >= 1);
      const fromElsewhere = await post(svc(), '/login', { email: user.email, password: PASSWORD });
      assert.equal(fromElsewhere.statusCode, 200);
    });

    test('a successful login clears the account count', async () => {
      const { user } = await registerUser(svc());
      const wrong = { email: user.email, password: 'not the password' };
      for (let i = 0; i < 2; i++) await post(svc(), '/login', wrong);
      assert.equal(
        (await post(svc(), '/login', { email: user.email, password: PASSWORD })).statusCode,
        200,
      );
      for (let i = 0; i < 2; i++)
        assert.equal((await post(svc(), '/login', wrong)).statusCode, 401);
      assert.equal(
        (await post(svc(), '/login', { email: user.email, password: PASSWORD })).statusCode,
        200,
      );
    });
  });
}
