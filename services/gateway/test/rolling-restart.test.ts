import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { answerName, eventually, type FakeInstance, startFleet } from './support/fleet.ts';
import { instanceView } from './support/ops.ts';
import { listenGateway } from './support/upstream.ts';

test('a rolling restart of two instances under steady load answers every request 2xx', {
  timeout: 30_000,
}, async (t) => {
  const fleet = await startFleet(t, 2, (req, res, instance) => {
    setTimeout(() => answerName(req, res, instance), 2);
  });
  const { gateway, address } = await listenGateway(
    t,
    { orders: fleet.map((i) => i.url) },
    { GATEWAY_HEALTH_CHECK_INTERVAL_MS: '50', GATEWAY_RETRY_BACKOFF_MS: '5' },
  );

  const client = new Pool(address, { connections: 4 });
  t.after(() => client.close());
  const statuses = new Map<number, number>();
  let sent = 0;
  let slowest = 0;
  let running = true;
  // Four clients, each sending requests one after another through the gateway's port.
  const load = Array.from({ length: 4 }, async (_, c) => {
    while (running) {
      const started = performance.now();
      const res = await client.request({
        method: 'GET',
        path: `/api/v1/orders/${c}-${sent++}`,
        headers: { authorization: gateway.authorization },
      });
      await res.body.dump();
      slowest = Math.max(slowest, performance.now() - started);
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    }
  });

  const restart = async (instance: FakeInstance) => {
    // What the kit does on SIGTERM: readiness 503 for the drain delay, then close gracefully.
    await instance.drainAndStop(300);
    await sleep(100);
    const hits = instance.hits;
    await instance.restart();
    await eventually(
      `${instance.name} takes traffic again`,
      async () =>
        (await instanceView(gateway, instance.url)).health === 'ready' && instance.hits > hits + 5,
    );
  };
  await sleep(200);
  for (const instance of fleet) await restart(instance);
  await sleep(200);
  running = false;
  await Promise.all(load);

  const total = [...statuses.values()].reduce((a, b) => a + b, 0);
  t.diagnostic(`${total} requests, slowest ${Math.round(slowest)} ms`);
  assert.ok(total > 100, `only ${total} requests were sent`);
  assert.deepEqual(Object.fromEntries(statuses), { 200: total });
});
