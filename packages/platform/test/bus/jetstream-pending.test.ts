import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { JetStreamBus } from '../../src/bus/jetstream-bus.ts';
import { streamName } from '../../src/bus/subjects.ts';
import { needs } from '../../src/testing/index.ts';
import { sleep, testEvents, uniqueContext } from './support.ts';

async function until(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const servers = process.env.TEST_NATS_URL || 'nats://127.0.0.1:4222';

test('pending(group) counts stored events not yet acknowledged, down to 0 once handled', {
  skip: needs('nats'),
}, async (t) => {
  const context = uniqueContext('jbp');
  const events = testEvents(context);
  const bus = await JetStreamBus.connect({ servers });
  t.after(async () => {
    const jsm = await jetstreamManager(bus.connection);
    await jsm.streams.delete(streamName(context)).catch(() => {});
    await bus.close();
  });
  let release!: () => void;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  let handled = 0;
  const group = `${context}-pending`;
  await bus.subscribe({
    group,
    subjects: [events.subject],
    handler: async () => {
      await gate;
      handled++;
    },
  });
  await bus.publish([1, 2, 3, 4, 5].map((n) => events.event(n, 'one-aggregate')));
  await until('five pending', async () => (await bus.pending(group)) === 5);
  release();
  await until('all handled', async () => handled === 5 && (await bus.pending(group)) === 0);
  assert.equal(await bus.pending(group), 0);
  assert.equal(await bus.pending('a-group-never-subscribed'), 0);
});
