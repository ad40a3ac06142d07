import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ServiceDefinition } from '../../src/service-types.ts';
import { buildTestService } from '../../src/testing/index.ts';
import { type Issuer, startIssuer } from './issuer.ts';

/** A callee with one route meant only for other services. */
const reports: ServiceDefinition = {
  name: 'reports',
  routes(app, { auth }) {
    app.get('/internal/whoami', { preHandler: [auth.authenticateService] }, async (request) => ({
      caller: request.caller?.service,
    }));
  },
};

const serviceToken = (issuer: Issuer, audience = 'urn:lattice:service:reports') =>
  issuer.sign(
    {},
    { sub: 'service:notifications', aud: audience, tid: undefined, roles: undefined },
  );

describe('authenticateService on a service-only route', () => {
  test('a service token for this service is accepted; a user token or another callee is 401', async (t) => {
    const issuer = await startIssuer(t);
    const callee = await buildTestService(t, reports, { env: { AUTH_JWKS_URL: issuer.jwksUrl } });
    const call = async (token: string) =>
      callee.app.inject({ url: '/internal/whoami', headers: { authorization: `Bearer ${token}` } });

    const ok = await call(await serviceToken(issuer));
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { caller: 'notifications' });

    assert.equal((await call(await issuer.sign())).statusCode, 401, 'a user access token');
    const elsewhere = await call(await serviceToken(issuer, 'urn:lattice:service:users'));
    assert.equal(elsewhere.statusCode, 401, 'minted for another callee');
  });

  test('a JWKS endpoint that is down gives 503, not 401', async (t) => {
    const issuer = await startIssuer(t);
    issuer.mode = 'error';
    const callee = await buildTestService(t, reports, { env: { AUTH_JWKS_URL: issuer.jwksUrl } });

    const res = await callee.app.inject({
      url: '/internal/whoami',
      headers: { authorization: `Bearer ${await serviceToken(issuer)}` },
    });

    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.headers['retry-after'], '1');
  });
});
