import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { describe, test } from 'node:test';
import { importPKCS8, SignJWT } from 'jose';
import {
  type AuthService,
  databases,
  outboxRows,
  PASSWORD,
  post,
  registerUser,
  type SessionBody,
  sharedAuthService,
  TEST_KEY_PEM,
  uniqueEmail,
} from './support/harness.ts';

async function invite(svc: AuthService, token: string | undefined, body: object) {
  return post(svc, '/invitations', body, token ? { token } : {});
}

const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Tokens an attacker could craft, each of which must be refused. */
async function attackTokens(admin: SessionBody): Promise<Record<string, string>> {
  const [header, payload, signature] = admin.accessToken.split('.') as [string, string, string];
  const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString());
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
  const ourKey = await importPKCS8(TEST_KEY_PEM, 'EdDSA');
  const now = Math.floor(Date.now() / 1000);
  const signed = (overrides: object, headerOverrides: object = {}, key: unknown = ourKey) =>
    new SignJWT({ ...claims, ...overrides })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid, ...headerOverrides })
      .sign(key as Parameters<SignJWT['sign']>[0]);
  const strangerKey = generateKeyPairSync('ed25519').privateKey;
  const publicPem = createPublicKey(TEST_KEY_PEM).export({ format: 'pem', type: 'spki' });
  return {
    'alg none': `${b64url({ alg: 'none', typ: 'at+jwt', kid })}.${payload}.`,
    'HS256 signed with the public key': await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
      .sign(new TextEncoder().encode(String(publicPem))),
    'wrong iss': await signed({ iss: 'https://evil.example' }),
    'wrong aud': await signed({ aud: 'urn:lattice:other' }),
    expired: await signed({ iat: now - 3600, exp: now - 60 }),
    'tampered payload': `${header}.${b64url({ ...claims, tid: '00000000-0000-4000-8000-000000000000' })}.${signature}`,
    'unknown kid': await signed({}, { kid: 'not-a-key-we-have' }, strangerKey),
    'our kid, another key': await signed({}, {}, strangerKey),
    'typ JWT instead of at+jwt': await signed({}, { typ: 'JWT' }),
    'refresh token as access token': admin.refreshToken,
    'empty bearer': '',
  };
}

for (const { kind, skip } of databases) {
  describe(`invitations on ${kind}`, { skip }, () => {
    const svc = sharedAuthService(kind);

    test('an admin invites; the invitee registers into that tenant with the invited role', async () => {
      const admin = await registerUser(svc(), { tenantName: 'Inviting Inc' });
      for (const role of ['member', 'admin']) {
        const email = uniqueEmail(role);
        const created = await invite(svc(), admin.accessToken, { email, role });
        assert.equal(created.statusCode, 201);
        const { inviteToken, expiresAt } = created.json();
        assert.match(inviteToken, /^[A-Za-z0-9_-]{43}$/);
        const days = (Date.parse(expiresAt) - Date.now()) / 86_400_000;
        assert.ok(days > 6.9 && days <= 7, `expires in ${days} days`);

        const joined = await registerUser(svc(), { email: email.toUpperCase(), inviteToken });
        assert.equal(joined.user.tenantId, admin.user.tenantId);
        assert.deepEqual(joined.user.roles, [role]);
        const [row] = await outboxRows(svc(), joined.user.id);
        assert.equal(row?.event.type, 'lattice.auth.user.registered.v1');
        assert.equal(row?.event.tenantid, admin.user.tenantId);
        assert.deepEqual(row?.event.data, {
          userId: joined.user.id,
          tenantId: admin.user.tenantId,
          email: email.toLowerCase(),
          name: 'Test User',
          roles: [role],
        });
      }
    });

    test('an invitation works once and only for its email', async () => {
      const admin = await registerUser(svc());
      const email = uniqueEmail('once');
      const { inviteToken } = (
        await invite(svc(), admin.accessToken, { email, role: 'member' })
      ).json();

      const wrongEmail = await post(svc(), '/register', {
        email: uniqueEmail('thief'),
        password: PASSWORD,
        name: 'Thief',
        inviteToken,
      });
      assert.equal(wrongEmail.statusCode, 400);
      assert.equal(wrongEmail.json().code, 'AUTH_INVITATION_INVALID');

      await registerUser(svc(), { email, inviteToken });
      const again = await post(svc(), '/register', {
        email: uniqueEmail('second'),
        password: PASSWORD,
        name: 'Second',
        inviteToken,
      });
      assert.equal(again.statusCode, 400);
    });

    test('inviting an email that already has an account answers 409', async () => {
      const admin = await registerUser(svc());
      const response = await invite(svc(), admin.accessToken, {
        email: admin.user.email,
        role: 'member',
      });
      assert.equal(response.statusCode, 409);
    });

    test('a member cannot invite: 403', async () => {
      const admin = await registerUser(svc());
      const email = uniqueEmail('member');
      const { inviteToken } = (
        await invite(svc(), admin.accessToken, { email, role: 'member' })
      ).json();
      const member = await registerUser(svc(), { email, inviteToken });
      const response = await invite(svc(), member.accessToken, {
        email: uniqueEmail(),
        role: 'member',
      });
      assert.equal(response.statusCode, 403);
      assert.equal(response.json().code, 'AUTH_FORBIDDEN');
    });

    test('POST /invitations without a token answers 401 with WWW-Authenticate', async () => {
      const response = await invite(svc(), undefined, { email: uniqueEmail(), role: 'member' });
      assert.equal(response.statusCode, 401);
      assert.equal(response.headers['www-authenticate'], 'Bearer');
      assert.equal(response.json().code, 'AUTH_INVALID_ACCESS_TOKEN');
    });

    test('forged, altered, expired and misdirected tokens all answer 401', async () => {
      const admin = await registerUser(svc());
      // The genuine token works, so each 401 below is the attack's doing.
      const genuine = await invite(svc(), admin.accessToken, {
        email: uniqueEmail(),
        role: 'member',
      });
      assert.equal(genuine.statusCode, 201);
      for (const [attack, token] of Object.entries(await attackTokens(admin))) {
        const response = await svc().app.inject({
          method: 'POST',
          url: '/api/v1/auth/invitations',
          headers: { authorization: `Bearer ${token}` },
          payload: { email: uniqueEmail(), role: 'admin' },
        });
        assert.equal(response.statusCode, 401, `${attack}: ${response.body}`);
        assert.equal(response.json().code, 'AUTH_INVALID_ACCESS_TOKEN', attack);
      }
    });
  });
}
