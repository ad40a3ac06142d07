import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JetStreamBus } from '../../src/bus/jetstream-bus.ts';
import {
  natsServerMissing,
  type PrivateNats,
  startPrivateNats,
} from '../../src/testing/private-nats.ts';
import { type ItemCreated, sleep, testEvents, uniqueContext, waitFor } from './support.ts';

describe('JetStreamBus across a NATS restart', { skip: natsServerMissing() }, () => {
  let server: PrivateNats;
  before(async () => {
    server = await startPrivateNats();
  });
  after(() => server?.stop());

  it('delivers every event of a burst published while the server is killed and restarted', async (t) => {
    const events = testEvents(uniqueContext('rs'));
    const options = {
      servers: server.url,
      reconnectTimeWaitMs: 100,
      publishTimeoutMs: 1_000,
      pingTimeoutMs: 300,
      retry: { baseMs: 20, maxMs: 200 },
    };
    const consumer = await JetStreamBus.connect(options);
    const producer = await JetStreamBus.connect(options);
    // Buses reconnect forever: a failed assertion must still close them, or the run hangs.
    t.after(() => Promise.all([producer.terminate(), consumer.terminate()]));
    const handled = new Map<string, number>();
    await consumer.subscribe<ItemCreated>({
      group: 'burst',
      subjects: [events.subject],
      ackWaitMs: 2_000,
      handler: async ({ event }) => {
        handled.set(event.id, (handled.get(event.id) ?? 0) + 1);
      },
    });

    const burst = Array.from({ length: 400 }, (_, i) => events.event(i, `agg-${i % 20}`));
    let failures = 0;
    // As the outbox relay does: publish in order, and re-publish (same id) until acknowledged.
    const publishing = (async () => {
      for (let i = 0; i < burst.length; i += 10) {
        const batch = burst.slice(i, i + 10);
        for (;;) {
          try {
            await producer.publish(batch);
            break;
          } catch {
            failures++;
            await sleep(50);
          }
        }
        await sleep(5);
      }
    })();

    await waitFor('the burst to be under way', () => handled.size >= 80);
    await server.kill();
    await assert.rejects(producer.ping(), { code: 'EVENT_BUS_UNAVAILABLE' });
    // Longer than the publish timeout, so publishes do fail and get retried.
    await sleep(1_200);
    await server.start();
    await publishing;
    await waitFor('every event', () => handled.size === burst.length, 30_000);

    assert.ok(failures > 0, 'some publishes failed during the outage (the test did hit it)');
    assert.deepEqual(
      burst.filter((e) => !handled.has(e.id)).map((e) => e.data.n),
      [],
      'no event lost',
    );
    const duplicates = [...handled.values()].filter((count) => count > 1).length;
    t.diagnostic(
      `${failures} publish attempts failed during the outage; ${duplicates} events redelivered`,
    );
    await producer.ping();
    await producer.close();
    await consumer.close();
  });
});
