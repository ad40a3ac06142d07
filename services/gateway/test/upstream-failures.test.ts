import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildGateway, json, refusingOrigin, startUpstream } from './support/upstream.ts';

function assertProblem(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  status: number,
  code: string,
) {
  assert.equal(res.statusCode, status);
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
  const problem = res.json() as Record<string, unknown>;
  assert.equal(problem.status, status);
  assert.equal(problem.code, code);
  assert.match(String(problem.traceId), /^[\da-f]{32}$/);
  return problem;
}

describe('upstream failures', () => {
  test('a service the gateway does not know gives 404 problem+json', async (t) => {
    const users = await startUpstream(t, (_req, res) => json(res, 200, {}));
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({ method: 'GET', url: '/api/v1/nosuch/things?x=1' });

    const problem = assertProblem(res, 404, 'GATEWAY_UNKNOWN_SERVICE');
    assert.match(String(problem.detail), /nosuch/);
    assert.equal(problem.instance, '/api/v1/nosuch/things');
    assert.equal(users.seen.length, 0);
  });

  test('an upstream that refuses connections gives 503 problem+json with retry-after', async (t) => {
    const gateway = await buildGateway(t, { users: await refusingOrigin() });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    const problem = assertProblem(res, 503, 'GATEWAY_UPSTREAM_DOWN');
    assert.match(String(problem.detail), /users/);
    assert.match(String(res.headers['retry-after']), /^\d+$/);
  });

  test('a service with no instance gives 503 problem+json with retry-after', async (t) => {
    const gateway = await buildGateway(t, { users: [] });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    assertProblem(res, 503, 'GATEWAY_UPSTREAM_DOWN');
    assert.match(String(res.headers['retry-after']), /^\d+$/);
  });

  test('an upstream that does not answer in time gives 504 problem+json', async (t) => {
    const slow = await startUpstream(t, () => {
      // Never answers; the connection is closed when the test ends.
    });
    const gateway = await buildGateway(
      t,
      { slow: slow.url },
      { GATEWAY_UPSTREAM_TIMEOUT_MS: '150' },
    );

    const started = performance.now();
    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/slow/report',
      headers: { authorization: gateway.authorization },
    });
    const elapsed = performance.now() - started;

    const problem = assertProblem(res, 504, 'GATEWAY_UPSTREAM_TIMEOUT');
    assert.match(String(problem.detail), /slow/);
    assert.ok(elapsed >= 140 && elapsed < 2_000, `answered after ${Math.round(elapsed)} ms`);
  });

  test('an upstream that destroys the connection gives 502 problem+json', async (t) => {
    const broken = await startUpstream(t, (req) => req.socket.destroy());
    const gateway = await buildGateway(t, { broken: broken.url });

    const res = await gateway.app.inject({
      method: 'POST',
      url: '/api/v1/broken/things',
      payload: '{"a":1}',
      headers: { authorization: gateway.authorization, 'content-type': 'application/json' },
    });

    const problem = assertProblem(res, 502, 'GATEWAY_UPSTREAM_FAILED');
    assert.match(String(problem.detail), /broken/);
  });

  test("an upstream's own 5xx is passed through as the upstream wrote it", async (t) => {
    const body = JSON.stringify({ status: 500, code: 'INTERNAL', title: 'Internal server error' });
    const users = await startUpstream(t, (_req, res) => {
      res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end(body);
    });
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 500);
    assert.equal(res.body, body);
  });

  test('a small answer cut off before its declared length gives 502, not a truncated 200', async (t) => {
    const users = await startUpstream(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"partial":');
      setTimeout(() => res.destroy(), 20);
    });
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    assertProblem(res, 502, 'GATEWAY_UPSTREAM_FAILED');
  });

  test('a small answer with a declared length arrives whole, its length and headers kept', async (t) => {
    const body = JSON.stringify({ id: 'u1', name: 'x'.repeat(2_000) });
    const users = await startUpstream(t, (_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        etag: '"v1"',
      });
      // In two writes, as a service streaming its serialiser's output would.
      res.write(body.slice(0, 1_000));
      setTimeout(() => res.end(body.slice(1_000)), 20);
    });
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/u1',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 200);
    assert.equal(res.body, body);
    assert.equal(res.headers['content-length'], String(Buffer.byteLength(body)));
    assert.equal(res.headers.etag, '"v1"');
  });
});
