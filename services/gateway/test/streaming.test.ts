import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  buildGateway,
  listenGateway,
  rawConnection,
  readBody,
  startUpstream,
} from './support/upstream.ts';

const MB = 1024 * 1024;
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

function chunksOf(data: Buffer, size: number): Buffer[] {
  const chunks: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) chunks.push(data.subarray(at, at + size));
  return chunks;
}

describe('streaming bodies', () => {
  test('a 5 MB chunked body streams to the upstream and a 5 MB answer streams back intact', async (t) => {
    const sent = randomBytes(5 * MB);
    let receivedHash = '';
    const files = await startUpstream(t, (req, res) => {
      // Echo while hashing: the answer starts before the request has fully arrived.
      const hash = createHash('sha256');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      req.on('data', (chunk: Buffer) => {
        hash.update(chunk);
        res.write(chunk);
      });
      req.on('end', () => {
        receivedHash = hash.digest('hex');
        res.end();
      });
    });
    const { client, gateway } = await listenGateway(
      t,
      { files: files.url },
      { BODY_LIMIT_BYTES: String(8 * MB) },
    );

    const res = await client.request({
      method: 'PUT',
      path: '/api/v1/files/blob',
      headers: { authorization: gateway.authorization, 'content-type': 'application/octet-stream' },
      body: Readable.from(chunksOf(sent, 64 * 1024)),
    });
    const answer = Buffer.from(await res.body.arrayBuffer());

    assert.equal(res.statusCode, 200);
    assert.equal(files.seen[0]?.headers['transfer-encoding'], 'chunked');
    assert.equal(receivedHash, sha256(sent), 'the upstream received the body intact');
    assert.equal(answer.length, sent.length);
    assert.equal(sha256(answer), sha256(sent), 'the client received the answer intact');
  });

  test('a 5 MB body with content-length streams through intact', async (t) => {
    const sent = randomBytes(5 * MB);
    const files = await startUpstream(t, async (req, res) => {
      const body = await readBody(req);
      res.writeHead(200, { 'x-received-sha256': sha256(body), 'content-length': body.length });
      res.end(body);
    });
    const { client, gateway } = await listenGateway(
      t,
      { files: files.url },
      { BODY_LIMIT_BYTES: String(8 * MB) },
    );

    const res = await client.request({
      method: 'POST',
      path: '/api/v1/files',
      headers: { authorization: gateway.authorization },
      body: sent,
    });
    const answer = Buffer.from(await res.body.arrayBuffer());

    assert.equal(res.statusCode, 200);
    assert.equal(files.seen[0]?.headers['content-length'], String(sent.length));
    assert.equal(res.headers['x-received-sha256'], sha256(sent));
    assert.equal(res.headers['content-length'], String(sent.length));
    assert.equal(sha256(answer), sha256(sent));
  });

  test('the request body reaches the upstream before the client has finished sending it', {
    timeout: 5_000,
  }, async (t) => {
    const firstArrived = Promise.withResolvers<void>();
    const files = await startUpstream(t, async (req, res) => {
      req.once('data', () => firstArrived.resolve());
      const body = await readBody(req);
      res.end(String(body.length));
    });
    const { client, gateway } = await listenGateway(t, { files: files.url });

    // A gateway that buffered the whole request would never let the first chunk through.
    async function* body() {
      yield Buffer.alloc(1024, 1);
      await firstArrived.promise;
      yield Buffer.alloc(1024, 2);
    }
    const res = await client.request({
      method: 'POST',
      path: '/api/v1/files',
      headers: { authorization: gateway.authorization },
      body: Readable.from(body()),
    });

    assert.equal(res.statusCode, 200);
    assert.equal(await res.body.text(), '2048');
  });

  test('the answer reaches the client before the upstream has finished sending it', {
    timeout: 5_000,
  }, async (t) => {
    const clientGotFirst = Promise.withResolvers<void>();
    const files = await startUpstream(t, async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first;');
      await clientGotFirst.promise;
      res.end('rest');
    });
    const { client, gateway } = await listenGateway(t, { files: files.url });

    const res = await client.request({
      method: 'GET',
      path: '/api/v1/files/feed',
      headers: { authorization: gateway.authorization },
    });
    let text = '';
    for await (const chunk of res.body) {
      text += chunk;
      clientGotFirst.resolve();
    }

    assert.equal(text, 'first;rest');
  });
  test('a client that disconnects mid-body aborts the upstream request', {
    timeout: 5_000,
  }, async (t) => {
    const upstreamAborted = Promise.withResolvers<void>();
    const firstBytes = Promise.withResolvers<void>();
    const files = await startUpstream(t, (req) => {
      req.on('data', () => firstBytes.resolve());
      req.on('error', () => upstreamAborted.resolve());
      req.on('close', () => {
        if (!req.complete) upstreamAborted.resolve();
      });
    });
    const { address, gateway } = await listenGateway(t, { files: files.url });
    const socket = await rawConnection(address);

    socket.write(
      `POST /api/v1/files HTTP/1.1\r\nhost: gw\r\nauthorization: ${gateway.authorization}\r\ntransfer-encoding: chunked\r\n\r\n4\r\nabcd\r\n`,
    );
    await firstBytes.promise;
    socket.destroy();

    await upstreamAborted.promise;
    assert.equal(files.seen[0]?.complete, false);
  });
});

describe('body limit', () => {
  test('a chunked request body over the limit gives 413 problem+json and is not forwarded whole', async (t) => {
    const limit = 16 * 1024;
    let upstreamBytes = 0;
    const files = await startUpstream(t, (req, res) => {
      req.on('data', (chunk: Buffer) => {
        upstreamBytes += chunk.length;
      });
      req.on('error', () => {});
      req.on('end', () => res.end('ok'));
    });
    const { client, gateway } = await listenGateway(
      t,
      { files: files.url },
      { BODY_LIMIT_BYTES: String(limit) },
    );

    async function* body() {
      for (let i = 0; i < 64; i++) yield Buffer.alloc(1024, i);
    }
    const res = await client.request({
      method: 'POST',
      path: '/api/v1/files',
      headers: { authorization: gateway.authorization },
      body: Readable.from(body()),
    });
    const problem = (await res.body.json()) as Record<string, unknown>;

    assert.equal(res.statusCode, 413);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(problem.code, 'PAYLOAD_TOO_LARGE');
    assert.equal(problem.status, 413);
    assert.ok(upstreamBytes <= limit, `the upstream received ${upstreamBytes} bytes`);
  });

  test('after a 413 on a chunked body the connection still serves the next request', {
    timeout: 5_000,
  }, async (t) => {
    const files = await startUpstream(t, async (req, res) => {
      await readBody(req).catch(() => {});
      res.end('next ok');
    });
    const { address, gateway } = await listenGateway(
      t,
      { files: files.url },
      { BODY_LIMIT_BYTES: '1024' },
    );
    const socket = await rawConnection(address);
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      received += text;
    });
    const until = async (pattern: RegExp) => {
      while (!pattern.test(received)) await once(socket, 'data');
    };
    const chunk = (size: number) => `${size.toString(16)}\r\n${'x'.repeat(size)}\r\n`;

    // Over the limit, then (after the 413) the rest of the body, then a second request.
    socket.write(
      `POST /api/v1/files HTTP/1.1\r\nhost: gw\r\nauthorization: ${gateway.authorization}\r\ntransfer-encoding: chunked\r\n\r\n${chunk(800)}${chunk(800)}`,
    );
    await until(/\r\n\r\n\{.*"PAYLOAD_TOO_LARGE".*\}/s);
    assert.match(received, /^HTTP\/1\.1 413 /);
    // Separate writes, so the gateway has to keep reading after it has answered.
    for (let i = 0; i < 3; i++) {
      socket.write(chunk(800));
      await sleep(20);
    }
    socket.write(
      `0\r\n\r\nGET /api/v1/files/next HTTP/1.1\r\nhost: gw\r\nauthorization: ${gateway.authorization}\r\n\r\n`,
    );
    await until(/next ok/);

    assert.match(received, /HTTP\/1\.1 200 OK/);
  });

  test('a content-length over the limit gives 413 without contacting the upstream', async (t) => {
    const files = await startUpstream(t, (_req, res) => res.end('ok'));
    const gateway = await buildGateway(t, { files: files.url }, { BODY_LIMIT_BYTES: '1024' });

    const res = await gateway.app.inject({
      method: 'POST',
      url: '/api/v1/files',
      payload: Buffer.alloc(4096),
      headers: { authorization: gateway.authorization, 'content-type': 'application/octet-stream' },
    });

    assert.equal(res.statusCode, 413);
    assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
    assert.equal(res.json().code, 'PAYLOAD_TOO_LARGE');
    assert.equal(files.seen.length, 0);
  });
});
