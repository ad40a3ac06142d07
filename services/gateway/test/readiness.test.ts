import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { buildGateway, json, refusingOrigin, startUpstream } from './support/upstream.ts';

/** An upstream whose /health/ready answers `status`. */
function health(status: number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    if (req.url === '/health/ready')
      json(res, status, { status: status === 200 ? 'ready' : 'down' });
    else json(res, 404, {});
  };
}

describe('gateway readiness', () => {
  test('is 200 when every upstream answers its readiness with 200', async (t) => {
    const users = await startUpstream(t, health(200));
    const todos = await startUpstream(t, health(200));
    const gateway = await buildGateway(t, { users: users.url, todos: todos.url });

    const res = await gateway.app.inject({ method: 'GET', url: '/health/ready' });

    assert.equal(res.statusCode, 200);
    assert.equal(res.json().checks.upstreams.status, 'up');
    assert.deepEqual(
      [...users.seen, ...todos.seen].map((req) => req.url),
      ['/health/ready', '/health/ready'],
    );
  });

  test('is 503 naming the service whose upstream is not ready', async (t) => {
    const users = await startUpstream(t, health(200));
    const todos = await startUpstream(t, health(503));
    const gateway = await buildGateway(t, { users: users.url, todos: todos.url });

    const res = await gateway.app.inject({ method: 'GET', url: '/health/ready' });

    assert.equal(res.statusCode, 503);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    const problem = res.json();
    assert.match(problem.detail, /todos/);
    assert.doesNotMatch(problem.detail, /users/);
    assert.equal(problem.checks.upstreams.status, 'down');
  });

  test('is 503 naming a service whose upstream refuses connections', async (t) => {
    const users = await startUpstream(t, health(200));
    const gateway = await buildGateway(t, { users: users.url, orders: await refusingOrigin() });

    const res = await gateway.app.inject({ method: 'GET', url: '/health/ready' });

    assert.equal(res.statusCode, 503);
    assert.match(res.json().detail, /orders/);
  });

  test('a service counts as ready when at least one of its instances is', async (t) => {
    const ready = await startUpstream(t, health(200));
    const gateway = await buildGateway(t, { users: [await refusingOrigin(), ready.url] });

    const res = await gateway.app.inject({ method: 'GET', url: '/health/ready' });

    assert.equal(res.statusCode, 200);
  });

  test('ignores upstreams when GATEWAY_READY_REQUIRES_UPSTREAMS=false', async (t) => {
    const todos = await startUpstream(t, health(503));
    const gateway = await buildGateway(
      t,
      { todos: todos.url, orders: await refusingOrigin() },
      { GATEWAY_READY_REQUIRES_UPSTREAMS: 'false' },
    );

    const res = await gateway.app.inject({ method: 'GET', url: '/health/ready' });

    assert.equal(res.statusCode, 200);
    assert.equal(res.json().checks.upstreams, undefined);
    assert.equal(todos.seen.length, 0);
  });
});
