import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../src/errors.ts';
import { createHttpClient, type HttpClient, type HttpClientOptions } from '../src/http/index.ts';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

interface TestServer {
  url: string;
  hits: number;
  connections: number;
}

const servers: ReturnType<typeof createServer>[] = [];
const clients: HttpClient[] = [];

async function startServer(handler: Handler): Promise<TestServer> {
  const state: TestServer = { url: '', hits: 0, connections: 0 };
  const server = createServer(async (req, res) => {
    state.hits++;
    let body = '';
    for await (const chunk of req) body += chunk;
    handler(req, res, body);
  });
  server.on('connection', () => state.connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  servers.push(server);
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

function json(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(value));
}

interface Warning {
  obj: Record<string, unknown>;
  msg: string;
}

function client(options: Partial<HttpClientOptions> & Pick<HttpClientOptions, 'baseUrl'>) {
  const warnings: Warning[] = [];
  const http = createHttpClient({
    name: 'users',
    timeoutMs: 500,
    backoff: { initialMs: 5, maxMs: 20 },
    logger: { warn: (obj, msg) => warnings.push({ obj, msg }) },
    ...options,
  });
  clients.push(http);
  return { http, warnings };
}

async function closedPortUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return `http://127.0.0.1:${port}`;
}

function coded(code: string, status: number) {
  return (error: unknown) => {
    assert.ok(error instanceof AppError, `expected an AppError, got ${String(error)}`);
    assert.equal(error.code, code);
    assert.equal(error.status, status);
    return true;
  };
}

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const server of servers) server.closeAllConnections();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('resilient HTTP client', () => {
  test('sends JSON, parses the JSON answer and propagates the call context', async () => {
    const upstream = await startServer((req, res, body) =>
      json(res, 201, {
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: JSON.parse(body),
      }),
    );
    const { http } = client({ baseUrl: `${upstream.url}/internal/` });

    const response = await http.post<{
      method: string;
      url: string;
      headers: Record<string, string>;
      body: unknown;
    }>(
      '/users',
      { email: 'ada@example.com' },
      {
        query: { invite: true, tag: ['a', 'b'], skip: undefined },
        headers: { 'X-Extra': 'yes' },
        context: {
          requestId: 'req-42',
          authorization: 'Bearer t0ken',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
          tenantId: 'tenant-1',
        },
      },
    );

    assert.equal(response.status, 201);
    assert.match(String(response.headers['content-type']), /application\/json/);
    const echoed = response.body;
    assert.equal(echoed.method, 'POST');
    assert.equal(echoed.url, '/internal/users?invite=true&tag=a&tag=b');
    assert.deepEqual(echoed.body, { email: 'ada@example.com' });
    assert.equal(echoed.headers['content-type'], 'application/json');
    assert.equal(echoed.headers['x-request-id'], 'req-42');
    assert.equal(echoed.headers.authorization, 'Bearer t0ken');
    assert.equal(
      echoed.headers.traceparent,
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
    assert.equal(echoed.headers['x-tenant-id'], 'tenant-1');
    assert.equal(echoed.headers['x-extra'], 'yes');
  });

  test('returns a non-JSON answer as text and an empty one as undefined, over one kept-alive connection', async () => {
    const upstream = await startServer((req, res) => {
      if (req.url === '/empty') return void res.writeHead(204).end();
      res.writeHead(200, { 'content-type': 'text/plain' }).end('pong');
    });
    const { http } = client({ baseUrl: upstream.url });

    for (let i = 0; i < 4; i++) assert.equal((await http.get('/ping')).body, 'pong');
    const empty = await http.delete('/empty');
    assert.equal(empty.status, 204);
    assert.equal(empty.body, undefined);
    assert.equal(upstream.hits, 5);
    // undici may open a second socket when the next call is dispatched in the very tick the
    // previous body ended; what matters is that sockets are reused rather than one per call.
    assert.ok(upstream.connections <= 2, `${upstream.connections} connections for 5 calls`);
  });

  test('an upstream slower than the timeout raises a 504-coded error', async () => {
    // Margins are wide: on a loaded machine a request may take tens of milliseconds to arrive.
    const upstream = await startServer((_req, res) => {
      setTimeout(() => json(res, 200, { late: true }), 5_000).unref();
    });
    const { http } = client({ baseUrl: upstream.url, retries: 0 });

    const started = Date.now();
    await assert.rejects(http.get('/slow', { timeoutMs: 300 }), (error: AppError) => {
      coded('UPSTREAM_TIMEOUT', 504)(error);
      assert.equal(error.message, 'users did not answer within 300 ms');
      return true;
    });
    assert.ok(Date.now() - started < 3_000, 'the call gave up at its timeout, not at the answer');
    assert.ok(upstream.hits <= 1, 'no retry with retries: 0');
  });

  test('a GET that times out is retried', async () => {
    // The first request is never answered; every later one at once.
    const upstream = await startServer((_req, res) => {
      if (upstream.hits < 2) return;
      json(res, 200, { ok: true });
    });
    const { http } = client({ baseUrl: upstream.url, timeoutMs: 300 });

    const response = await http.get('/flaky');
    assert.deepEqual(response.body, { ok: true });
    assert.ok(upstream.hits >= 2, 'the timed-out GET was sent again');
  });

  test('a GET answered 503 is retried until it succeeds', async () => {
    const upstream = await startServer((_req, res) => {
      if (upstream.hits <= 2) return json(res, 503, { title: 'busy' });
      json(res, 200, { id: 'u1' });
    });
    const { http, warnings } = client({ baseUrl: upstream.url, retries: 2 });

    const response = await http.get('/users/u1');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { id: 'u1' });
    assert.equal(upstream.hits, 3);
    assert.deepEqual(
      warnings.map((w) => [w.msg, w.obj.status, w.obj.retry]),
      [
        ['retrying upstream call', 503, 1],
        ['retrying upstream call', 503, 2],
      ],
    );
  });

  test('Retry-After is honoured but capped by the maximum backoff', async () => {
    const upstream = await startServer((_req, res) => {
      if (upstream.hits === 1) return json(res, 503, {}, { 'retry-after': '30' });
      json(res, 200, { ok: true });
    });
    const { http, warnings } = client({ baseUrl: upstream.url, backoff: { maxMs: 40 } });

    const started = Date.now();
    assert.equal((await http.get('/x')).status, 200);
    assert.ok(Date.now() - started < 1000);
    assert.equal(warnings[0]?.obj.delayMs, 40);
  });

  test('a GET still answered 503 after every retry returns the last answer', async () => {
    const upstream = await startServer((_req, res) => json(res, 503, { attempt: upstream.hits }));
    const { http } = client({ baseUrl: upstream.url, retries: 2 });

    const response = await http.get('/down');
    assert.equal(response.status, 503);
    assert.deepEqual(response.body, { attempt: 3 });
    assert.equal(upstream.hits, 3);
  });

  test('a POST answered 503 is not retried', async () => {
    const upstream = await startServer((_req, res) => json(res, 503, { title: 'busy' }));
    const { http } = client({ baseUrl: upstream.url, retries: 2 });

    const response = await http.post('/orders', { sku: 'x' });
    assert.equal(response.status, 503);
    assert.equal(upstream.hits, 1);
  });

  test('a POST with an Idempotency-Key answered 503 is retried with the same key and body', async () => {
    const seen: Array<[string | string[] | undefined, string]> = [];
    const upstream = await startServer((req, res, body) => {
      seen.push([req.headers['idempotency-key'], body]);
      if (upstream.hits <= 2) return json(res, 503, { title: 'busy' });
      json(res, 201, { id: 'c1' });
    });
    const { http } = client({ baseUrl: upstream.url, retries: 2 });

    const response = await http.post(
      '/charges',
      { amount: 5 },
      { headers: { 'Idempotency-Key': 'k1' } },
    );
    assert.equal(response.status, 201);
    assert.deepEqual(seen, Array(3).fill(['k1', '{"amount":5}']));
  });

  test('a 500 and a 4xx are returned, not retried', async () => {
    const upstream = await startServer((req, res) => {
      if (req.url === '/boom') return json(res, 500, { title: 'oops' });
      res.writeHead(404, { 'content-type': 'application/problem+json' });
      res.end(JSON.stringify({ status: 404, code: 'USERS_NOT_FOUND' }));
    });
    const { http } = client({ baseUrl: upstream.url, retries: 2 });

    const missing = await http.get('/users/nobody');
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.body, { status: 404, code: 'USERS_NOT_FOUND' });
    assert.equal(upstream.hits, 1);
    assert.equal((await http.put('/boom', { a: 1 })).status, 500);
    assert.equal(upstream.hits, 2);
  });

  test('a refused connection is retried, then raises a 502-coded error', async () => {
    const { http, warnings } = client({ baseUrl: await closedPortUrl(), retries: 2 });

    await assert.rejects(http.get('/users'), (error: AppError) => {
      coded('UPSTREAM_FAILED', 502)(error);
      assert.equal(error.message, 'users is unreachable: ECONNREFUSED');
      assert.doesNotMatch(error.message, /127\.0\.0\.1/);
      return true;
    });
    assert.equal(warnings.filter((w) => w.msg === 'retrying upstream call').length, 2);
  });

  test('the circuit opens after consecutive failures, fails fast, then closes after a success', async () => {
    let healthy = false;
    const upstream = await startServer((_req, res) =>
      healthy ? json(res, 200, { ok: true }) : json(res, 500, { title: 'oops' }),
    );
    const { http, warnings } = client({
      baseUrl: upstream.url,
      breaker: { consecutiveFailures: 3, halfOpenAfterMs: 150 },
    });

    for (let i = 0; i < 3; i++) assert.equal((await http.get('/x')).status, 500);
    assert.equal(http.circuitState(), 'open');
    assert.ok(warnings.some((w) => w.msg === 'upstream circuit opened'));

    await assert.rejects(http.get('/x'), (error: AppError) => {
      coded('UNAVAILABLE', 503)(error);
      assert.equal(error.message, 'users circuit is open');
      assert.deepEqual(error.headers, { 'retry-after': '1' });
      return true;
    });
    await assert.rejects(http.post('/x', {}), coded('UNAVAILABLE', 503));
    assert.equal(upstream.hits, 3, 'an open circuit does not touch the network');

    healthy = true;
    await sleep(170);
    assert.equal((await http.get('/x')).status, 200);
    assert.equal(http.circuitState(), 'closed');
    assert.equal(upstream.hits, 4);
  });

  test('failed attempts count towards the circuit, so retries stop once it opens', async () => {
    const { http } = client({
      baseUrl: await closedPortUrl(),
      retries: 5,
      breaker: { consecutiveFailures: 2, halfOpenAfterMs: 10_000 },
    });

    await assert.rejects(http.get('/x'), coded('UNAVAILABLE', 503));
    assert.equal(http.circuitState(), 'open');
  });

  test('the base URL is resolved per call, so discovery can move the upstream', async () => {
    const first = await startServer((_req, res) => json(res, 200, { from: 'first' }));
    const second = await startServer((_req, res) => json(res, 200, { from: 'second' }));
    let current = first.url;
    const { http } = client({ baseUrl: () => current });

    assert.deepEqual((await http.get('/who')).body, { from: 'first' });
    current = second.url;
    assert.deepEqual((await http.get('/who')).body, { from: 'second' });
  });

  test('a closed client refuses further calls', async () => {
    const upstream = await startServer((_req, res) => json(res, 200, {}));
    const { http } = client({ baseUrl: upstream.url });
    await http.get('/');
    await http.close();
    await assert.rejects(http.get('/'), coded('SHUTTING_DOWN', 503));
  });
});
