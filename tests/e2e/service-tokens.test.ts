import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createService,
  type ServiceDefinition,
  type ServiceInstance,
  StaticDiscovery,
} from '@lattice/platform';
import { createTestDatabase, type TestDatabase } from '@lattice/platform/testing';
import { service as authService } from '../../services/auth/src/app.ts';
import { generatePrivateKeyPem } from '../../services/auth/src/security/signing-keys.ts';

const NOTIFICATIONS_SECRET = 'notifications-secret-0123456789abcdef-0123456789';
const REPORTS_SECRET = 'reports-secret-0123456789abcdef-0123456789abcdef';

/** A callee with one route meant only for other services. */
const reports: ServiceDefinition = {
  name: 'reports',
  routes(app, { auth }) {
    app.get('/internal/whoami', { preHandler: [auth.authenticateService] }, async (request) => ({
      caller: request.caller?.service,
    }));
  },
};

/** A caller that holds only its own credential. */
const notifications: ServiceDefinition = { name: 'notifications', routes() {} };

describe('service-to-service calls carry service tokens, audience-bound to the callee', () => {
  let database: TestDatabase;
  let auth: ServiceInstance;
  let callee: ServiceInstance;
  let caller: ServiceInstance;
  let calleeUrl: string;

  before(async () => {
    database = await createTestDatabase('auth', 'pglite');
    const env = {
      LOG_LEVEL: 'silent',
      JWT_PRIVATE_KEY: generatePrivateKeyPem(),
      AUTH_EMBEDDED_OPERATOR: 'false',
      AUTH_SERVICE_CREDENTIALS: `notifications=${NOTIFICATIONS_SECRET},reports=${REPORTS_SECRET}`,
    };
    auth = await createService(authService, { env, database: database.database });
    const authUrl = await auth.listen(0);
    const discovery = new StaticDiscovery({ auth: authUrl });
    callee = await createService(reports, { env: { LOG_LEVEL: 'silent' }, discovery });
    calleeUrl = await callee.listen(0);
    caller = await createService(notifications, {
      env: { LOG_LEVEL: 'silent', SERVICE_CLIENT_SECRET: NOTIFICATIONS_SECRET },
      discovery,
    });
  });
  after(async () => {
    await caller?.close();
    await callee?.close();
    await auth?.close();
    await database?.cleanup();
  });

  test('a service token for the callee is accepted and names the calling service', async () => {
    const token = await caller.context.auth.serviceTokens.tokenFor('reports');
    const response = await fetch(`${calleeUrl}/internal/whoami`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { caller: 'notifications' });
    assert.equal(
      await caller.context.auth.serviceTokens.tokenFor('reports'),
      token,
      'cached until near expiry',
    );
  });

  test('a token minted for another callee, a user token or none at all is refused', async () => {
    const forUsers = await caller.context.auth.serviceTokens.tokenFor('users');
    const wrongAudience = await fetch(`${calleeUrl}/internal/whoami`, {
      headers: { authorization: `Bearer ${forUsers}` },
    });
    assert.equal(wrongAudience.status, 401);

    const registered = await auth.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'svc-test@example.test', password: 'correct horse battery', name: 'Svc' },
    });
    assert.equal(registered.statusCode, 201);
    const userToken = registered.json().accessToken as string;
    const asUser = await fetch(`${calleeUrl}/internal/whoami`, {
      headers: { authorization: `Bearer ${userToken}` },
    });
    assert.equal(asUser.status, 401);

    const anonymous = await fetch(`${calleeUrl}/internal/whoami`);
    assert.equal(anonymous.status, 401);
    assert.match(anonymous.headers.get('content-type') ?? '', /problem\+json/);
  });

  test('wrong credentials get no token', async () => {
    for (const body of [
      { clientId: 'notifications', clientSecret: 'not-the-secret', audience: 'reports' },
      { clientId: 'intruder', clientSecret: NOTIFICATIONS_SECRET, audience: 'reports' },
    ]) {
      const response = await auth.app.inject({
        method: 'POST',
        url: '/api/v1/auth/service-tokens',
        payload: body,
      });
      assert.equal(response.statusCode, 401);
      assert.equal(response.json().code, 'AUTH_INVALID_CLIENT');
    }
    const malformed = await auth.app.inject({
      method: 'POST',
      url: '/api/v1/auth/service-tokens',
      payload: { clientId: 'Not A Name', clientSecret: 'x', audience: 'reports' },
    });
    assert.equal(malformed.statusCode, 400);
  });
});
