import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { buildGateway, json, readBody, refusingOrigin, startUpstream } from './support/upstream.ts';

async function echo(req: IncomingMessage, res: ServerResponse) {
  await readBody(req);
  json(res, 200, { url: req.url, headers: req.headers });
}

function assertUnauthorized(res: {
  statusCode: number;
  headers: Record<string, unknown>;
  json(): unknown;
}) {
  assert.equal(res.statusCode, 401);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  assert.equal((res.json() as { code: string }).code, 'UNAUTHORIZED');
  assert.match(String(res.headers['www-authenticate']), /^Bearer/);
}

describe('gateway authentication', () => {
  test('a request without a token gives 401 problem+json and never reaches the upstream', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    for (const method of ['GET', 'POST', 'PATCH', 'DELETE'] as const) {
      const res = await gateway.app.inject({
        method,
        url: '/api/v1/users/me',
        payload: method === 'GET' ? undefined : '{"name":"x"}',
        headers: { 'content-type': 'application/json' },
      });
      assertUnauthorized(res);
      assert.equal(res.headers['www-authenticate'], 'Bearer');
    }

    assert.equal(users.seen.length, 0);
    assert.equal(gateway.issuer.fetches, 0, 'no key fetch is needed to refuse a missing token');
  });

  test('bad tokens give 401 without contacting the upstream', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });
    const { issuer } = gateway;
    const now = Math.floor(Date.now() / 1000);
    const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const [head, payload, signature] = issuer.sign().split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const raised = b64url({ ...claims, roles: ['admin', 'platform-admin'] });
    const none = b64url({ alg: 'none', typ: 'at+jwt' });

    const attacks: Array<[string, string]> = [
      ['expired', `Bearer ${issuer.sign({ claims: { iat: now - 1_000, exp: now - 60 } })}`],
      [
        'signed by a key the auth service never published',
        `Bearer ${issuer.sign({ foreignKey: true })}`,
      ],
      ['alg none', `Bearer ${none}.${payload}.`],
      ['tampered payload', `Bearer ${head}.${raised}.${signature}`],
      ['wrong audience', `Bearer ${issuer.sign({ claims: { aud: 'urn:elsewhere' } })}`],
      [
        'a refresh token used as an access token',
        `Bearer ${randomBytes(32).toString('base64url')}`,
      ],
      ['Basic credentials', 'Basic dXNlcjpwYXNz'],
    ];
    for (const [name, authorization] of attacks) {
      const res = await gateway.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization },
      });
      assert.equal(res.statusCode, 401, name);
      assertUnauthorized(res);
    }

    assert.equal(users.seen.length, 0);
  });

  test('a valid token is forwarded unchanged in Authorization; forged identity headers are stripped', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: {
        authorization: gateway.authorization,
        'x-user-id': 'someone-else',
        'x-tenant-id': 'another-tenant',
        'x-roles': 'admin,platform-admin',
        'x-identity': '{"roles":["platform-admin"]}',
        'x-lattice-user': 'root',
        'X-Lattice-Internal': 'true',
        'x-custom-header': 'kept',
      },
    });

    assert.equal(res.statusCode, 200);
    const { headers } = res.json();
    assert.equal(headers.authorization, gateway.authorization);
    for (const name of ['x-user-id', 'x-tenant-id', 'x-roles', 'x-identity']) {
      assert.equal(headers[name], undefined, `${name} was forwarded`);
    }
    assert.deepEqual(
      Object.keys(headers).filter((name) => name.startsWith('x-lattice-')),
      [],
    );
    assert.equal(headers['x-custom-header'], 'kept');
  });

  test("the gateway does not decide roles: an admin-only route is the service's own check", async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });
    const member = `Bearer ${gateway.issuer.sign({ claims: { roles: ['member'] } })}`;

    const res = await gateway.app.inject({
      method: 'DELETE',
      url: '/api/v1/users/42',
      headers: { authorization: member },
    });

    assert.equal(res.statusCode, 200);
    assert.equal(users.seen.length, 1);
  });

  test('the public auth routes need no token; the method and the exact path must match', async (t) => {
    const auth = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { auth: auth.url });

    for (const [method, url] of [
      ['POST', '/api/v1/auth/register'],
      ['POST', '/api/v1/auth/login'],
      ['POST', '/api/v1/auth/login?next=%2F'],
      ['POST', '/api/v1/auth/refresh'],
      ['POST', '/api/v1/auth/logout'],
      ['GET', '/api/v1/auth/.well-known/jwks.json'],
    ] as const) {
      const res = await gateway.app.inject({
        method,
        url,
        payload: method === 'POST' ? '{}' : undefined,
        headers: { 'content-type': 'application/json', 'x-user-id': 'forged' },
      });
      assert.equal(res.statusCode, 200, `${method} ${url}`);
      assert.equal(res.json().headers['x-user-id'], undefined, 'stripped on public routes too');
    }
    assert.equal(auth.seen.length, 6);

    for (const [method, url] of [
      ['GET', '/api/v1/auth/login'],
      ['POST', '/api/v1/auth/login/'],
      ['POST', '/api/v1/auth/LOGIN'],
      ['POST', '/api/v1/auth/login/../invitations'],
      ['POST', '/api/v1/auth/invitations'],
      ['POST', '/api/v1/auth'],
    ] as const) {
      const res = await gateway.app.inject({ method, url, payload: '{}' });
      assert.equal(res.statusCode, 401, `${method} ${url}`);
    }
    assert.equal(auth.seen.length, 6);
  });

  test('GATEWAY_PUBLIC_ROUTES replaces the default list', async (t) => {
    const status = await startUpstream(t, echo);
    const auth = await startUpstream(t, echo);
    const gateway = await buildGateway(
      t,
      { status: status.url, auth: auth.url },
      { GATEWAY_PUBLIC_ROUTES: 'GET /api/v1/status/ping , HEAD /api/v1/status/ping' },
    );

    const ping = await gateway.app.inject({ method: 'GET', url: '/api/v1/status/ping' });
    const head = await gateway.app.inject({ method: 'HEAD', url: '/api/v1/status/ping' });
    const login = await gateway.app.inject({ method: 'POST', url: '/api/v1/auth/login' });

    assert.equal(ping.statusCode, 200);
    assert.equal(head.statusCode, 200);
    assert.equal(login.statusCode, 401);
  });

  test('a malformed GATEWAY_PUBLIC_ROUTES stops the start, naming the key', async (t) => {
    await assert.rejects(
      buildGateway(t, {}, { GATEWAY_PUBLIC_ROUTES: 'login,POST /api/v1/auth/login' }),
      /GATEWAY_PUBLIC_ROUTES/,
    );
  });

  test("the gateway's own health, metrics and openapi need no token", async (t) => {
    const gateway = await buildGateway(t, {}, { GATEWAY_READY_REQUIRES_UPSTREAMS: 'false' });

    for (const url of ['/health/live', '/health/ready', '/metrics', '/openapi.json']) {
      const res = await gateway.app.inject({ method: 'GET', url });
      assert.equal(res.statusCode, 200, url);
    }
  });

  test('an unknown service is 404 before authentication (nothing to protect there)', async (t) => {
    const gateway = await buildGateway(t, {});

    const res = await gateway.app.inject({ method: 'GET', url: '/api/v1/nosuch/x' });

    assert.equal(res.statusCode, 404);
    assert.equal(res.json().code, 'GATEWAY_UNKNOWN_SERVICE');
  });

  test('when the keys cannot be fetched the gateway answers 503, not 401, and calls no upstream', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(
      t,
      { users: users.url },
      { AUTH_JWKS_URL: `${await refusingOrigin()}/jwks.json` },
    );

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.headers['retry-after'], '1');
    assert.equal(users.seen.length, 0);
  });

  test('the key set is fetched once and reused across requests', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    for (let i = 0; i < 5; i++) {
      const res = await gateway.app.inject({
        method: 'GET',
        url: '/api/v1/users/me',
        headers: { authorization: `Bearer ${gateway.issuer.sign()}` },
      });
      assert.equal(res.statusCode, 200);
    }

    assert.equal(gateway.issuer.fetches, 1);
  });
});
