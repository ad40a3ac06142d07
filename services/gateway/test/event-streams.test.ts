import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { eventually } from './support/fleet.ts';
import { servicesView } from './support/ops.ts';
import { listenGateway, startUpstream } from './support/upstream.ts';

const STREAM_PATH = '/api/v1/notifications/stream';

/**
 * A notifications-like upstream on a real port: answers text/event-stream, starts after the
 * event id the client says it has seen, and sends `count` events `gapMs` apart with a heartbeat
 * comment in between. Records when each event was written and when each stream closed.
 */
async function startNotifications(
  t: Parameters<typeof startUpstream>[0],
  options: { count: number; gapMs: number },
) {
  const sentAt: number[] = [];
  const closed: number[] = [];
  const open = new Set<ServerResponse>();
  const upstream = await startUpstream(t, async (req, res) => {
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      closed.push(performance.now());
    });
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': connected\n\n');
    const after = Number(req.headers['last-event-id'] ?? 0);
    for (let i = 1; i <= options.count && !res.destroyed; i++) {
      await sleep(options.gapMs / 2);
      res.write(': heartbeat\n\n');
      await sleep(options.gapMs / 2);
      if (res.destroyed) break;
      sentAt.push(performance.now());
      res.write(`id: ${after + i}\nevent: notification\ndata: {"n":${after + i}}\n\n`);
    }
    // Then silent but open, like a quiet user's stream, until the client goes away.
  });
  t.after(() => {
    for (const res of open) res.destroy();
  });
  return { ...upstream, sentAt, closed, open };
}

/** Reads events of an event stream body as they arrive, with their arrival times. */
async function readEvents(
  body: Readable,
  wanted: number,
): Promise<Array<{ id: string; data: string; at: number }>> {
  const events: Array<{ id: string; data: string; at: number }> = [];
  let buffered = '';
  // Stopping after `wanted` events leaves the stream open, as a listening client would.
  for await (const chunk of body.iterator({ destroyOnReturn: false })) {
    buffered += chunk.toString();
    let end = buffered.indexOf('\n\n');
    while (end !== -1) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const id = /^id: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (id !== undefined && data !== undefined) events.push({ id, data, at: performance.now() });
      end = buffered.indexOf('\n\n');
    }
    if (events.length >= wanted) break;
  }
  return events;
}

describe('server-sent events through the gateway', () => {
  test('events stream one by one past the upstream timeout, with Last-Event-ID passed on', async (t) => {
    const notifications = await startNotifications(t, { count: 4, gapMs: 700 });
    // Every gap between events (700 ms) is longer than the upstream timeout (300 ms): only
    // the stream idle timeout may apply once the stream has started.
    const { client, gateway } = await listenGateway(
      t,
      { notifications: notifications.url },
      { GATEWAY_UPSTREAM_TIMEOUT_MS: '300' },
    );

    const res = await client.request({
      method: 'GET',
      path: STREAM_PATH,
      headers: {
        authorization: gateway.authorization,
        accept: 'text/event-stream',
        'last-event-id': '41',
      },
    });
    const events = await readEvents(res.body, 4);
    res.body.destroy();

    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream');
    assert.equal(res.headers['content-length'], undefined);
    assert.equal(res.headers['x-accel-buffering'], 'no');
    assert.equal(notifications.seen[0]?.headers['last-event-id'], '41');
    assert.deepEqual(
      events.map((e) => [e.id, e.data]),
      [42, 43, 44, 45].map((n) => [String(n), `{"n":${n}}`]),
    );
    // Unbuffered: each event reached the client before the upstream wrote the next one.
    for (let i = 0; i < events.length - 1; i++) {
      assert.ok(
        (events[i]?.at as number) < (notifications.sentAt[i + 1] as number),
        `event ${i + 1} arrived before event ${i + 2} was sent`,
      );
    }
  });

  test('a client going away closes the upstream stream and frees its bulkhead slot', async (t) => {
    const notifications = await startNotifications(t, { count: 100, gapMs: 200 });
    const { address, client, gateway } = await listenGateway(
      t,
      { notifications: notifications.url },
      { GATEWAY_ROUTES: JSON.stringify([{ service: 'notifications', maxConcurrent: 1 }]) },
    );
    const headers = { authorization: gateway.authorization, accept: 'text/event-stream' };

    const first = await client.request({ method: 'GET', path: STREAM_PATH, headers });
    await readEvents(first.body, 1);
    // Each stream holds its client connection: the others come on connections of their own.
    const other = new Client(address);
    t.after(() => other.close());
    const whileOpen = await other.request({ method: 'GET', path: STREAM_PATH, headers });
    const busy = await whileOpen.body.json();
    let view = await servicesView(gateway);
    assert.equal(whileOpen.statusCode, 503, 'the open stream holds the only slot');
    assert.equal((busy as { code: string }).code, 'GATEWAY_UPSTREAM_BUSY');
    assert.equal(view.services[0]?.inFlight, 1);
    assert.equal(view.services[0]?.instances[0]?.inFlight, 1);

    first.body.destroy();
    await eventually(
      'the upstream sees its stream closed',
      () => notifications.closed.length === 1,
    );
    await eventually('the slot is free again', async () => {
      view = await servicesView(gateway);
      return view.services[0]?.inFlight === 0;
    });
    assert.equal(view.services[0]?.instances[0]?.inFlight, 0);
    assert.equal(view.services[0]?.instances[0]?.consecutiveFailures, 0, 'not a failure');
    const second = await other.request({ method: 'GET', path: STREAM_PATH, headers });
    const events = await readEvents(second.body, 1);
    second.body.destroy();
    assert.equal(second.statusCode, 200);
    assert.equal(events.length, 1);
  });

  test('streams are not capped by the connection pool of ordinary requests', async (t) => {
    const notifications = await startNotifications(t, { count: 100, gapMs: 200 });
    const { gateway, address } = await listenGateway(
      t,
      { notifications: notifications.url },
      { GATEWAY_CONNECTIONS_PER_UPSTREAM: '1' },
    );
    const clients = [new Client(address), new Client(address), new Client(address)];
    t.after(() => Promise.all(clients.map((c) => c.close())));

    const streams = await Promise.all(
      clients.map((c) =>
        c.request({
          method: 'GET',
          path: STREAM_PATH,
          headers: { authorization: gateway.authorization, accept: 'text/event-stream' },
        }),
      ),
    );
    const received = await Promise.all(streams.map((s) => readEvents(s.body, 2)));
    for (const s of streams) s.body.destroy();

    assert.deepEqual(
      received.map((events) => events.length),
      [2, 2, 2],
      'three streams at once with one pooled connection',
    );
  });

  test('a stream silent for longer than the stream idle timeout is ended and released', async (t) => {
    const notifications = await startNotifications(t, { count: 1, gapMs: 100 });
    const { client, gateway } = await listenGateway(
      t,
      { notifications: notifications.url },
      { GATEWAY_STREAM_IDLE_TIMEOUT_MS: '600' },
    );

    const res = await client.request({
      method: 'GET',
      path: STREAM_PATH,
      headers: { authorization: gateway.authorization, accept: 'text/event-stream' },
    });
    const started = performance.now();
    const events = await readEvents(res.body, 1);
    // The body then ends (or breaks) once the upstream has been silent for 600 ms.
    await res.body.dump({ limit: Number.POSITIVE_INFINITY }).catch(() => undefined);
    const lasted = performance.now() - started;

    assert.equal(events.length, 1);
    assert.ok(lasted >= 500, `ended by the idle timeout, not at once (${lasted} ms)`);
    await eventually('the upstream stream is closed', () => notifications.closed.length === 1);
    await eventually('the slot is free again', async () => {
      const view = await servicesView(gateway);
      return view.services[0]?.inFlight === 0;
    });
  });

  test('shutting the gateway down ends open streams instead of waiting for them', async (t) => {
    const notifications = await startNotifications(t, { count: 100, gapMs: 200 });
    const { client, gateway } = await listenGateway(t, { notifications: notifications.url });

    const res = await client.request({
      method: 'GET',
      path: STREAM_PATH,
      headers: { authorization: gateway.authorization, accept: 'text/event-stream' },
    });
    await readEvents(res.body, 1);
    const ended = res.body.dump({ limit: Number.POSITIVE_INFINITY }).catch(() => undefined);
    const closing = gateway.close();

    const outcome = await Promise.race([
      closing.then(() => 'closed'),
      sleep(10_000, undefined, { ref: false }).then(() => 'still waiting'),
    ]);
    await ended;

    assert.equal(outcome, 'closed');
    await eventually('the upstream stream is closed', () => notifications.closed.length === 1);
  });
});
