import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServiceDefinition } from '../../src/service-types.ts';
import { buildTestService } from '../../src/testing/index.ts';
import { forgedTokens } from './forged-tokens.ts';
import { type Issuer, startIssuer } from './issuer.ts';

/** A service with one route for any caller with a token and one for admins only. */
const guarded: ServiceDefinition = {
  name: 'guarded',
  routes(app, context) {
    app.get('/public', async () => ({ ok: true }));
    app.get('/me', { preHandler: [context.auth.authenticate] }, async (request) => ({
      identity: request.identity,
    }));
    app.get(
      '/admin',
      { preHandler: [context.auth.authenticate, context.auth.requireRole('admin')] },
      async (request) => ({ tenant: request.identity?.tenantId }),
    );
  },
};

async function buildGuarded(t: Parameters<typeof buildTestService>[0], issuer: Issuer) {
  return buildTestService(t, guarded, { env: { AUTH_JWKS_URL: issuer.jwksUrl } });
}

function assertProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  label = '',
) {
  assert.equal(res.statusCode, status, label);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/, label);
  return res.json() as Record<string, unknown>;
}

describe('authenticate and requireRole on a service route', () => {
  test('no Authorization header gives 401 with www-authenticate: Bearer', async (t) => {
    const issuer = await startIssuer(t);
    const service = await buildGuarded(t, issuer);

    const res = await service.app.inject({ method: 'GET', url: '/me' });

    const problem = assertProblem(res, 401);
    assert.equal(problem.code, 'UNAUTHORIZED');
    assert.equal(res.headers['www-authenticate'], 'Bearer');
    assert.equal(issuer.fetches, 0, 'no key fetch without a token');
  });

  test('a scheme other than Bearer gives 401 invalid_request', async (t) => {
    const issuer = await startIssuer(t);
    const service = await buildGuarded(t, issuer);

    for (const authorization of [
      `Basic ${Buffer.from('a:b').toString('base64')}`,
      'Bearer',
      '',
      `${await issuer.sign()}`,
    ]) {
      const res = await service.app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization },
      });
      assertProblem(res, 401, authorization);
      assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_request"/);
    }
  });

  test('a valid token reaches the handler with request.identity; the scheme is case-insensitive', async (t) => {
    const issuer = await startIssuer(t);
    const service = await buildGuarded(t, issuer);
    const token = await issuer.sign({ userId: 'user-7', tenantId: 'tenant-7', roles: ['member'] });

    for (const scheme of ['Bearer', 'bearer']) {
      const res = await service.app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `${scheme} ${token}` },
      });

      assert.equal(res.statusCode, 200, scheme);
      const { identity } = res.json();
      assert.equal(identity.userId, 'user-7');
      assert.equal(identity.tenantId, 'tenant-7');
      assert.deepEqual(identity.roles, ['member']);
    }
  });

  test('every attack token gives 401 problem+json with www-authenticate', async (t) => {
    const issuer = await startIssuer(t);
    const service = await buildGuarded(t, issuer);

    for (const [name, token] of await forgedTokens(issuer)) {
      const res = await service.app.inject({
        method: 'GET',
        url: '/me',
        headers: { authorization: `Bearer ${token}` },
      });
      const problem = assertProblem(res, 401, name);
      assert.equal(problem.code, 'UNAUTHORIZED', name);
      assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_/, name);
    }
  });

  test('requireRole: 401 without a token, 403 for a member, 200 for an admin', async (t) => {
    const issuer = await startIssuer(t);
    const service = await buildGuarded(t, issuer);
    const call = async (roles?: string[]) =>
      service.app.inject({
        method: 'GET',
        url: '/admin',
        headers: roles
          ? { authorization: `Bearer ${await issuer.sign({ roles, tenantId: 't-1' })}` }
          : {},
      });

    assertProblem(await call(), 401);
    const forbidden = assertProblem(await call(['member']), 403);
    assert.equal(forbidden.code, 'FORBIDDEN');
    // platform-admin does not imply a tenant's admin: a route that admits operators says so.
    assertProblem(await call(['platform-admin']), 403);
    const allowed = await call(['member', 'admin']);
    assert.equal(allowed.statusCode, 200);
    assert.deepEqual(allowed.json(), { tenant: 't-1' });
  });

  test('a JWKS endpoint that is down gives 503 problem+json, not 401', async (t) => {
    const issuer = await startIssuer(t);
    issuer.mode = 'error';
    const service = await buildGuarded(t, issuer);

    const res = await service.app.inject({
      method: 'GET',
      url: '/me',
      headers: { authorization: `Bearer ${await issuer.sign()}` },
    });

    const problem = assertProblem(res, 503);
    assert.equal(problem.code, 'UNAVAILABLE');
    assert.equal(res.headers['retry-after'], '1');
    assert.doesNotMatch(JSON.stringify(problem), /127\.0\.0\.1|ECONNREFUSED|jwks/);
  });

  test('routes without the pre-handler stay public', async (t) => {
    const issuer = await startIssuer(t);
    const service = await buildGuarded(t, issuer);

    const res = await service.app.inject({ method: 'GET', url: '/public' });

    assert.equal(res.statusCode, 200);
  });
});
