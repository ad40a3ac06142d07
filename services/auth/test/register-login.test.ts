import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sameTrace } from '@lattice/platform/testing';
import { sql } from 'kysely';
import {
  databases,
  eventually,
  outboxRows,
  PASSWORD,
  post,
  registerUser,
  sharedAuthService,
  stableProblem,
  uniqueEmail,
  verifyWithJwks,
  watchBus,
} from './support/harness.ts';

const OPERATOR = 'ops@example.test';

for (const { kind, skip } of databases) {
  describe(`register and login on ${kind}`, { skip }, () => {
    const svc = sharedAuthService(kind, {
      PLATFORM_ADMIN_EMAILS: `someone@else.test, ${OPERATOR}`,
    });

    test('POST /register founds a tenant with the user as admin and answers a verifiable session', async () => {
      const email = uniqueEmail('founder');
      const response = await post(svc(), '/register', {
        email: email.toUpperCase(),
        password: PASSWORD,
        name: 'Founder',
        tenantName: 'Acme',
      });
      assert.equal(response.statusCode, 201);
      const body = response.json();
      assert.deepEqual(Object.keys(body).sort(), [
        'accessToken',
        'expiresIn',
        'refreshToken',
        'tokenType',
        'user',
      ]);
      assert.equal(body.user.email, email);
      assert.equal(body.user.name, 'Founder');
      assert.deepEqual(body.user.roles, ['admin']);
      assert.match(body.user.tenantId, /^[0-9a-f-]{36}$/);
      assert.equal(body.tokenType, 'Bearer');
      assert.equal(body.expiresIn, 900);
      assert.match(body.refreshToken, /^[A-Za-z0-9_-]{43}$/);

      const { payload, protectedHeader } = await verifyWithJwks(svc(), body.accessToken);
      assert.equal(protectedHeader.alg, 'EdDSA');
      assert.equal(protectedHeader.typ, 'at+jwt');
      assert.ok(protectedHeader.kid);
      assert.equal(payload.sub, body.user.id);
      assert.equal(payload.tid, body.user.tenantId);
      assert.deepEqual(payload.roles, ['admin']);
      assert.ok(payload.jti);
      assert.equal(payload.exp! - payload.iat!, 900);

      const tenant = await svc()
        .context.db.db.selectFrom('tenants')
        .selectAll()
        .where('id', '=', body.user.tenantId)
        .executeTakeFirstOrThrow();
      assert.equal(tenant.name, 'Acme');
    });

    test('POST /register stores the password as an argon2id PHC string with OWASP parameters', async () => {
      const { user } = await registerUser(svc());
      const row = await svc()
        .context.db.db.selectFrom('users')
        .select('password_hash')
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow();
      assert.match(
        row.password_hash,
        /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
      );
      const tokens = await svc()
        .context.db.db.selectFrom('refresh_tokens')
        .select('token_hash')
        .execute();
      assert.ok(tokens.every((t: { token_hash: string }) => /^[0-9a-f]{64}$/.test(t.token_hash)));
    });

    test('POST /register publishes lattice.auth.user.registered.v1, the contract data exactly, via the outbox', async () => {
      const watch = await watchBus(svc(), ['auth.user.registered.v1']);
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const response = await svc().app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: uniqueEmail('published'), password: PASSWORD, name: 'Published' },
        headers: { traceparent, 'x-forwarded-for': '10.9.9.9' },
      });
      assert.equal(response.statusCode, 201);
      const { user } = response.json();
      const event = await watch.about(user.id);
      await watch.stop();
      const { id, time, traceparent: carried, ...rest } = event;
      assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-/, 'a UUIDv7');
      assert.match(
        carried ?? '',
        sameTrace(traceparent),
        'the event continues the request’s trace',
      );
      const row = await svc()
        .context.db.db.selectFrom('users')
        .select('created_at')
        .where('id', '=', user.id)
        .executeTakeFirstOrThrow();
      assert.equal(time, row.created_at.toISOString(), 'time is the registration time');
      assert.deepEqual(rest, {
        specversion: '1.0',
        source: '/lattice/auth',
        type: 'lattice.auth.user.registered.v1',
        subject: user.id,
        tenantid: user.tenantId,
        datacontenttype: 'application/json',
        dataschema: 'urn:lattice:schema:lattice.auth.user.registered.v1',
        data: {
          userId: user.id,
          tenantId: user.tenantId,
          email: user.email,
          name: 'Published',
          roles: ['admin'],
        },
      });

      const rows = await eventually('the outbox row marked sent', async () => {
        const found = await outboxRows(svc(), user.id);
        return found.every((r) => r.sent_at) ? found : undefined;
      });
      assert.equal(rows.length, 1);
      assert.equal(rows[0]?.id, id);
      assert.equal(rows[0]?.type, 'lattice.auth.user.registered.v1');
    });

    test('a registration that fails leaves no user, tenant or outbox row behind', async () => {
      const email = uniqueEmail('orphan');
      const response = await post(svc(), '/register', {
        email,
        password: PASSWORD,
        name: 'Nobody',
        inviteToken: 'not-a-real-invitation',
      });
      assert.equal(response.statusCode, 400);
      assert.equal(response.json().code, 'AUTH_INVITATION_INVALID');
      const db = svc().context.db.db;
      const users = await db.selectFrom('users').select('id').where('email', '=', email).execute();
      assert.equal(users.length, 0);
      const { rows } =
        await sql`SELECT id FROM outbox WHERE event @> ${JSON.stringify({ data: { email } })}::jsonb`.execute(
          db,
        );
      assert.equal(rows.length, 0);
    });

    test('POST /register with an email already taken, in any case, answers 409', async () => {
      const email = uniqueEmail('taken');
      await registerUser(svc(), { email });
      const response = await post(svc(), '/register', {
        email: email.replace('taken', 'TAKEN'),
        password: PASSWORD,
        name: 'Again',
      });
      assert.equal(response.statusCode, 409);
      assert.equal(response.headers['content-type'], 'application/problem+json; charset=utf-8');
      assert.equal(response.json().code, 'AUTH_EMAIL_TAKEN');
    });

    test('POST /register with a password outside 10–128 characters answers 400 with the reason', async () => {
      const short = await post(svc(), '/register', {
        email: uniqueEmail(),
        password: 'ninechars',
        name: 'Weak',
      });
      assert.equal(short.statusCode, 400);
      assert.equal(short.json().code, 'AUTH_WEAK_PASSWORD');
      assert.match(short.json().detail, /at least 10 characters/);

      const long = await post(svc(), '/register', {
        email: uniqueEmail(),
        password: 'x'.repeat(129),
        name: 'Long',
      });
      assert.equal(long.statusCode, 400);
      assert.match(long.json().detail, /at most 128 characters/);

      // Characters, not bytes: ten emoji are forty UTF-8 bytes and a valid password.
      const emoji = await post(svc(), '/register', {
        email: uniqueEmail(),
        password: '🔑'.repeat(10),
        name: 'Emoji',
      });
      assert.equal(emoji.statusCode, 201);
    });

    test('POST /register rejects a malformed email and unknown fields with 400', async () => {
      const bad = await post(svc(), '/register', { email: 'nope', password: PASSWORD, name: 'x' });
      assert.equal(bad.statusCode, 400);
      assert.match(bad.json().detail, /body\.email/);
      const extra = await post(svc(), '/register', {
        email: uniqueEmail(),
        password: PASSWORD,
        name: 'x',
        role: 'admin',
      });
      assert.equal(extra.statusCode, 400);
      assert.match(extra.json().detail, /body\.role is not allowed/);
    });

    test('accounts listed in PLATFORM_ADMIN_EMAILS also get the platform-admin role', async () => {
      const watch = await watchBus(svc(), ['auth.user.registered.v1']);
      const registered = await registerUser(svc(), { email: OPERATOR.toUpperCase() });
      assert.deepEqual(registered.user.roles, ['admin', 'platform-admin']);
      const announced = await watch.about(registered.user.id);
      await watch.stop();
      assert.deepEqual((announced.data as { roles: string[] }).roles, ['admin', 'platform-admin']);
      const login = await post(svc(), '/login', { email: OPERATOR, password: PASSWORD });
      const { payload } = await verifyWithJwks(svc(), login.json().accessToken);
      assert.deepEqual(payload.roles, ['admin', 'platform-admin']);
    });

    test('POST /login answers a session for the right password, in any email case', async () => {
      const { user } = await registerUser(svc());
      const response = await post(svc(), '/login', {
        email: user.email.toUpperCase(),
        password: PASSWORD,
      });
      assert.equal(response.statusCode, 200);
      const body = response.json();
      assert.deepEqual(body.user, user);
      const { payload } = await verifyWithJwks(svc(), body.accessToken);
      assert.equal(payload.sub, user.id);
    });

    test('POST /login: unknown email and wrong password answer the same 401 body in similar time', async () => {
      const { user } = await registerUser(svc());
      const unknown = uniqueEmail('ghost');
      const timings = { unknown: [] as number[], wrong: [] as number[] };
      let unknownBody: unknown;
      let wrongBody: unknown;
      // Four rounds stay under the account's five free failures, so no 429 interferes.
      for (let round = 0; round < 4; round++) {
        let started = performance.now();
        const a = await post(svc(), '/login', { email: unknown, password: 'wrong password!' });
        timings.unknown.push(performance.now() - started);
        started = performance.now();
        const b = await post(svc(), '/login', { email: user.email, password: 'wrong password!' });
        timings.wrong.push(performance.now() - started);
        assert.equal(a.statusCode, 401);
        assert.equal(b.statusCode, 401);
        unknownBody = stableProblem(a.body);
        wrongBody = stableProblem(b.body);
      }
      assert.deepEqual(unknownBody, wrongBody);
      assert.equal((wrongBody as { code: string }).code, 'AUTH_INVALID_CREDENTIALS');
      // Minimums: load from other test files only ever adds time, so the fastest run of each is
      // the truest comparison.
      const ratio = Math.min(...timings.unknown) / Math.min(...timings.wrong);
      // Both run one argon2 verification; without the dummy hash the ratio would be ~0.05.
      assert.ok(ratio > 0.5 && ratio < 2, `unknown/wrong timing ratio ${ratio.toFixed(2)}`);
    });

    test('GET /.well-known/jwks.json publishes only public Ed25519 keys', async () => {
      const response = await svc().app.inject({ url: '/api/v1/auth/.well-known/jwks.json' });
      assert.equal(response.statusCode, 200);
      const { keys } = response.json();
      assert.equal(keys.length, 1);
      const [key] = keys;
      assert.equal(key.kty, 'OKP');
      assert.equal(key.crv, 'Ed25519');
      assert.equal(key.alg, 'EdDSA');
      assert.equal(key.use, 'sig');
      assert.ok(key.kid);
      assert.equal(key.d, undefined);
      assert.match(String(response.headers['cache-control']), /max-age=\d+/);
    });

    test('GET /openapi.json documents every auth route', async () => {
      const response = await svc().app.inject({ url: '/openapi.json' });
      assert.equal(response.statusCode, 200);
      const paths = Object.keys(response.json().paths);
      for (const path of [
        'register',
        'login',
        'refresh',
        'logout',
        'invitations',
        '.well-known/jwks.json',
      ])
        assert.ok(paths.includes(`/api/v1/auth/${path}`), `${path} in ${paths.join(', ')}`);
    });
  });
}
