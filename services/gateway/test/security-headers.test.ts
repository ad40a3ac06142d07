import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGateway, startUpstream } from './support/upstream.ts';

const EXPECTED = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-site',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
};

function assertSecurityHeaders(headers: Record<string, unknown>, label: string) {
  for (const [name, value] of Object.entries(EXPECTED)) {
    assert.equal(headers[name], value, `${label}: ${name}`);
  }
}

describe('security headers', () => {
  test('a proxied answer carries them, and loses the upstream x-powered-by and server', async (t) => {
    const users = await startUpstream(t, (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'x-powered-by': 'Express',
        server: 'nginx/1.2.3',
        'x-frame-options': 'ALLOWALL',
      });
      res.end('{}');
    });
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 200);
    assertSecurityHeaders(res.headers, 'proxied');
    assert.equal(res.headers['x-powered-by'], undefined);
    assert.equal(res.headers.server, undefined);
    assert.equal(res.headers['strict-transport-security'], undefined, 'no HSTS over plain http');
  });

  test("the gateway's own answers carry them: health, 401, 404, preflight refusal", async (t) => {
    const gateway = await buildGateway(
      t,
      { users: 'http://127.0.0.1:9' },
      { GATEWAY_READY_REQUIRES_UPSTREAMS: 'false' },
    );

    const answers = {
      health: await gateway.app.inject({ method: 'GET', url: '/health/live' }),
      unauthorized: await gateway.app.inject({ method: 'GET', url: '/api/v1/users/me' }),
      'unknown route': await gateway.app.inject({ method: 'GET', url: '/nope' }),
      'unknown service': await gateway.app.inject({ method: 'GET', url: '/api/v1/nosuch/x' }),
      preflight: await gateway.app.inject({
        method: 'OPTIONS',
        url: '/api/v1/users/me',
        headers: { origin: 'https://x.test', 'access-control-request-method': 'GET' },
      }),
    };

    assert.equal(answers.unauthorized.statusCode, 401);
    assert.equal(answers['unknown route'].statusCode, 404);
    assert.equal(answers.preflight.statusCode, 403);
    for (const [label, res] of Object.entries(answers)) assertSecurityHeaders(res.headers, label);
  });

  test('HSTS is sent when the client came over https (x-forwarded-proto)', async (t) => {
    const gateway = await buildGateway(t, {}, { GATEWAY_READY_REQUIRES_UPSTREAMS: 'false' });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/health/live',
      headers: { 'x-forwarded-proto': 'https' },
    });

    assert.equal(res.headers['strict-transport-security'], 'max-age=31536000; includeSubDomains');
  });

  test('an HTML page from a service keeps its own content security policy', async (t) => {
    const policy = "default-src 'self'";
    const web = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-security-policy': policy });
      res.end('<!doctype html><title>x</title>');
    });
    const gateway = await buildGateway(t, { web: web.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/web/page',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.headers['content-security-policy'], policy);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
  });
});
