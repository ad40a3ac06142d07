import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGateway, json, startUpstream } from './support/upstream.ts';

const APP = 'https://app.example.com';
const ORIGINS = { GATEWAY_CORS_ORIGINS: `${APP}, http://localhost:5173` };

const preflight = (origin: string) => ({
  method: 'OPTIONS' as const,
  url: '/api/v1/users/me',
  headers: {
    origin,
    'access-control-request-method': 'PATCH',
    'access-control-request-headers': 'authorization, content-type, if-match',
  },
});

/** Every access-control-* header of an answer. */
function corsHeadersOf(headers: Record<string, unknown>) {
  return Object.keys(headers).filter((name) => name.startsWith('access-control-'));
}

describe('CORS', () => {
  test('a preflight from an allowed origin is answered by the gateway: 204, no token, no upstream', async (t) => {
    const users = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(t, { users: users.url }, ORIGINS);

    const res = await gateway.app.inject(preflight(APP));

    assert.equal(res.statusCode, 204);
    assert.equal(res.body, '');
    assert.equal(res.headers['access-control-allow-origin'], APP);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.equal(
      res.headers['access-control-allow-methods'],
      'GET, HEAD, POST, PUT, PATCH, DELETE',
    );
    assert.equal(
      res.headers['access-control-allow-headers'],
      'authorization, content-type, idempotency-key, if-match, x-request-id, last-event-id',
    );
    assert.equal(res.headers['access-control-max-age'], '600');
    assert.match(String(res.headers.vary), /\borigin\b/i);
    assert.equal(users.seen.length, 0);
  });

  test('GATEWAY_CORS_MAX_AGE_SECONDS sets how long a preflight may be cached', async (t) => {
    const gateway = await buildGateway(t, {}, { ...ORIGINS, GATEWAY_CORS_MAX_AGE_SECONDS: '60' });

    const res = await gateway.app.inject(preflight('http://localhost:5173'));

    assert.equal(res.statusCode, 204);
    assert.equal(res.headers['access-control-allow-origin'], 'http://localhost:5173');
    assert.equal(res.headers['access-control-max-age'], '60');
  });

  test('a preflight from another origin gets 403 problem+json and no CORS headers', async (t) => {
    const users = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(t, { users: users.url }, ORIGINS);

    for (const origin of [
      'https://evil.example.com',
      'https://app.example.com.evil.test',
      'null',
    ]) {
      const res = await gateway.app.inject(preflight(origin));

      assert.equal(res.statusCode, 403, origin);
      assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
      assert.equal(res.json().code, 'GATEWAY_CORS_ORIGIN_DENIED');
      assert.deepEqual(corsHeadersOf(res.headers), [], origin);
    }
    assert.equal(users.seen.length, 0);
  });

  test('an allowed origin may read the answer with credentials; the exact origin is echoed, never *', async (t) => {
    const users = await startUpstream(t, (_req, res) => {
      // A service cannot widen the policy: its own CORS headers are dropped.
      res.writeHead(200, {
        'content-type': 'application/json',
        vary: 'accept-encoding',
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'x-anything',
      });
      res.end('{}');
    });
    const gateway = await buildGateway(t, { users: users.url }, ORIGINS);

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { origin: APP, authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['access-control-allow-origin'], APP);
    assert.equal(res.headers['access-control-allow-credentials'], 'true');
    assert.match(String(res.headers['access-control-expose-headers']), /x-request-id/);
    assert.equal(res.headers['access-control-allow-headers'], undefined);
    assert.equal(res.headers.vary, 'accept-encoding, origin');
  });

  test('a 401 to an allowed origin carries CORS headers, so the browser app can read it', async (t) => {
    const gateway = await buildGateway(t, { users: 'http://127.0.0.1:9' }, ORIGINS);

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { origin: APP },
    });

    assert.equal(res.statusCode, 401);
    assert.equal(res.headers['access-control-allow-origin'], APP);
  });

  test('a request from another origin gets no CORS headers, only Vary: Origin', async (t) => {
    const users = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(t, { users: users.url }, ORIGINS);

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { origin: 'https://evil.example.com', authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 200);
    assert.deepEqual(corsHeadersOf(res.headers), []);
    assert.match(String(res.headers.vary), /\borigin\b/i);
  });

  test('without GATEWAY_CORS_ORIGINS there are no CORS headers at all, and preflights are refused', async (t) => {
    const users = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'access-control-allow-origin': '*' });
      res.end('{}');
    });
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { origin: APP, authorization: gateway.authorization },
    });
    const pre = await gateway.app.inject(preflight(APP));

    assert.equal(res.statusCode, 200);
    assert.deepEqual(corsHeadersOf(res.headers), []);
    assert.equal(res.headers.vary, undefined);
    assert.equal(pre.statusCode, 403);
    assert.deepEqual(corsHeadersOf(pre.headers), []);
  });

  test('an OPTIONS without Origin is no preflight: it is proxied and needs a token', async (t) => {
    const users = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(t, { users: users.url }, ORIGINS);

    const res = await gateway.app.inject({ method: 'OPTIONS', url: '/api/v1/users/me' });

    assert.equal(res.statusCode, 401);
  });

  test('a wildcard or a path in GATEWAY_CORS_ORIGINS stops the start, naming the key', async (t) => {
    for (const value of ['*', 'https://app.example.com/', 'app.example.com']) {
      await assert.rejects(
        buildGateway(t, {}, { GATEWAY_CORS_ORIGINS: value }),
        /GATEWAY_CORS_ORIGINS/,
        value,
      );
    }
  });
});
