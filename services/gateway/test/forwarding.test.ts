import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, test } from 'node:test';
import { buildGateway, json, readBody, startUpstream } from './support/upstream.ts';

/** An upstream that answers with what it received. */
async function echo(req: IncomingMessage, res: ServerResponse) {
  const body = (await readBody(req)).toString();
  json(res, 200, { method: req.method, url: req.url, headers: req.headers, body });
}

const TRACEPARENT = /^00-([\da-f]{32})-([\da-f]{16})-01$/;

describe('forwarding a request', () => {
  test('path, query, method and body reach the upstream unchanged', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });
    const url = '/api/v1/users/accounts/42/notes?b=2&a=1&a=3&q=%2Fslash%20space&empty=';

    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      const payload = method === 'GET' ? undefined : JSON.stringify({ method, n: [1, 2, 3] });
      const res = await gateway.app.inject({
        method,
        url,
        payload,
        headers: {
          authorization: gateway.authorization,
          ...(payload ? { 'content-type': 'application/json' } : {}),
        },
      });
      assert.equal(res.statusCode, 200, method);
      const seen = res.json();
      assert.equal(seen.method, method);
      assert.equal(seen.url, url);
      assert.equal(seen.body, payload ?? '');
      if (payload) {
        assert.equal(seen.headers['content-type'], 'application/json');
        assert.equal(seen.headers['content-length'], String(Buffer.byteLength(payload)));
      }
    }
    assert.equal(users.seen.length, 5);
  });

  test('the service root /api/v1/<service> is forwarded as is', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users?page=2',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 200);
    assert.equal(res.json().url, '/api/v1/users?page=2');
  });

  test("the upstream's status, headers and body come back unchanged", async (t) => {
    const body = 'created: ünïcode body\n';
    const todos = await startUpstream(t, async (req, res) => {
      await readBody(req);
      res.writeHead(201, {
        'content-type': 'text/plain; charset=utf-8',
        location: '/api/v1/todos/7',
        etag: '"v1"',
        'cache-control': 'no-store',
        'set-cookie': ['a=1; HttpOnly', 'b=2; Secure'],
        'x-todos-extra': 'kept',
      });
      res.end(body);
    });
    const gateway = await buildGateway(t, { todos: todos.url });

    const res = await gateway.app.inject({
      method: 'POST',
      url: '/api/v1/todos',
      payload: 'x',
      headers: { authorization: gateway.authorization, 'content-type': 'text/plain' },
    });

    assert.equal(res.statusCode, 201);
    assert.equal(res.body, body);
    assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(res.headers.location, '/api/v1/todos/7');
    assert.equal(res.headers.etag, '"v1"');
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.headers['set-cookie'], ['a=1; HttpOnly', 'b=2; Secure']);
    assert.equal(res.headers['x-todos-extra'], 'kept');
  });

  test("an upstream's own problem+json 4xx is passed through untouched", async (t) => {
    const problem = JSON.stringify({
      type: 'urn:lattice:problem:todos-not-found',
      title: 'Todo not found',
      status: 404,
      detail: 'No todo 99',
      instance: '/api/v1/todos/99',
      code: 'TODOS_NOT_FOUND',
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
    const todos = await startUpstream(t, (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(problem);
    });
    const gateway = await buildGateway(t, { todos: todos.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/todos/99',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 404);
    assert.equal(res.headers['content-type'], 'application/problem+json');
    assert.equal(res.body, problem);
  });
});

describe('forwarding context', () => {
  test("a client's x-request-id is forwarded upstream and returned to the client", async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization, 'x-request-id': 'client-req-123' },
    });

    assert.equal(res.json().headers['x-request-id'], 'client-req-123');
    assert.equal(res.headers['x-request-id'], 'client-req-123');
  });

  test('a request without x-request-id gets one, the same upstream and in the answer', async (t) => {
    const users = await startUpstream(t, (req, res) => {
      // An upstream that does not echo the id: the gateway's own id must still come back.
      json(res, 200, { requestId: req.headers['x-request-id'] });
    });
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    const sent = res.json().requestId;
    assert.match(sent, /^[\w.:-]{8,128}$/);
    assert.equal(res.headers['x-request-id'], sent);
  });

  test("a client's trace is continued upstream: same trace id and flags, tracestate unchanged", async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization, traceparent, tracestate: 'vendor=1' },
    });

    // The parent id is the client's, or the gateway's own span when tracing records one.
    const [version, traceId, parentId, flags] = String(res.json().headers.traceparent).split('-');
    assert.deepEqual([version, traceId, flags], ['00', '4bf92f3577b34da6a3ce929d0e0e4736', '01']);
    assert.match(parentId ?? '', /^[0-9a-f]{16}$/);
    assert.equal(res.json().headers.tracestate, 'vendor=1');
  });

  test('without a traceparent the gateway starts a trace and sends it upstream', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    const first = (
      await gateway.app.inject({
        method: 'GET',
        url: '/api/v1/users/a',
        headers: { authorization: gateway.authorization },
      })
    ).json();
    const second = (
      await gateway.app.inject({
        method: 'GET',
        url: '/api/v1/users/b',
        headers: { authorization: gateway.authorization },
      })
    ).json();

    const [, traceId] = TRACEPARENT.exec(first.headers.traceparent) ?? [];
    assert.ok(traceId, `a W3C traceparent, got ${first.headers.traceparent}`);
    assert.notEqual(traceId, '0'.repeat(32));
    assert.notEqual(first.headers.traceparent, second.headers.traceparent, 'one trace per request');
  });

  test("a malformed traceparent is replaced by one carrying the gateway's trace id", async (t) => {
    // The upstream breaks the connection, so the gateway answers with its own problem, whose
    // traceId must be the trace the upstream was told about.
    const users = await startUpstream(t, (req) => req.socket.destroy());
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization, traceparent: '00-NOT-A-TRACE-01' },
    });

    assert.equal(res.statusCode, 502);
    const forwarded = String(users.seen[0]?.headers.traceparent);
    const [, traceId] = TRACEPARENT.exec(forwarded) ?? [];
    assert.ok(traceId, `a W3C traceparent, got ${forwarded}`);
    assert.equal(traceId, res.json().traceId);
  });

  test('x-forwarded-for/-proto/-host describe the client; an existing x-forwarded-for is extended', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    const direct = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization, host: 'api.example.test' },
      remoteAddress: '203.0.113.9',
    });
    const viaProxy = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization, 'x-forwarded-for': '198.51.100.1' },
      remoteAddress: '203.0.113.9',
    });

    const headers = direct.json().headers;
    assert.equal(headers['x-forwarded-for'], '203.0.113.9');
    assert.equal(headers['x-forwarded-proto'], 'http');
    assert.equal(headers['x-forwarded-host'], 'api.example.test');
    assert.notEqual(headers.host, 'api.example.test', 'host names the upstream, not the gateway');
    assert.equal(viaProxy.json().headers['x-forwarded-for'], '198.51.100.1, 203.0.113.9');
  });

  test('hop-by-hop request headers, and those named in Connection, are not forwarded', async (t) => {
    const users = await startUpstream(t, echo);
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: {
        authorization: gateway.authorization,
        connection: 'keep-alive, X-Hop-Secret',
        'x-hop-secret': 'must not leave the gateway',
        'keep-alive': 'timeout=99',
        te: 'trailers',
        trailer: 'x-checksum',
        'proxy-authorization': 'Basic c2VjcmV0',
        'proxy-connection': 'keep-alive',
        upgrade: 'websocket',
        'x-end-to-end': 'kept',
      },
    });

    const headers = res.json().headers;
    assert.equal(headers['x-end-to-end'], 'kept');
    for (const name of [
      'x-hop-secret',
      'te',
      'trailer',
      'proxy-authorization',
      'proxy-connection',
      'upgrade',
    ]) {
      assert.equal(headers[name], undefined, `${name} was forwarded`);
    }
    assert.notEqual(headers['keep-alive'], 'timeout=99');
    assert.notEqual(headers.connection, 'keep-alive, X-Hop-Secret');
  });

  test('hop-by-hop response headers from the upstream are not returned to the client', async (t) => {
    const users = await startUpstream(t, (_req, res) => {
      res.writeHead(200, {
        'content-type': 'text/plain',
        connection: 'keep-alive, x-upstream-hop',
        'x-upstream-hop': 'connection-scoped',
        'proxy-authenticate': 'Basic realm="upstream"',
        trailer: 'x-checksum',
        'x-end-to-end': 'kept',
      });
      res.end('ok');
    });
    const gateway = await buildGateway(t, { users: users.url });

    const res = await gateway.app.inject({
      method: 'GET',
      url: '/api/v1/users/me',
      headers: { authorization: gateway.authorization },
    });

    assert.equal(res.statusCode, 200);
    assert.equal(res.body, 'ok');
    assert.equal(res.headers['x-end-to-end'], 'kept');
    assert.equal(res.headers['x-upstream-hop'], undefined);
    assert.equal(res.headers['proxy-authenticate'], undefined);
    assert.equal(res.headers.trailer, undefined);
    assert.notEqual(res.headers.connection, 'keep-alive, x-upstream-hop');
  });
});

describe('load balancing', () => {
  test('requests to a service with two instances alternate between them', async (t) => {
    const answer = (name: string) => (_req: IncomingMessage, res: ServerResponse) =>
      json(res, 200, { instance: name });
    const one = await startUpstream(t, answer('one'));
    const two = await startUpstream(t, answer('two'));
    const gateway = await buildGateway(t, { orders: [one.url, two.url] });

    const order: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await gateway.app.inject({
        method: 'GET',
        url: `/api/v1/orders/${i}`,
        headers: { authorization: gateway.authorization },
      });
      order.push(res.json().instance);
    }

    assert.deepEqual(order, ['one', 'two', 'one', 'two', 'one', 'two']);
    assert.equal(one.seen.length, 3);
    assert.equal(two.seen.length, 3);
  });
});
