import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { JetStreamBus } from '../../src/bus/jetstream-bus.ts';
import { deleteConsumerGroups } from '../../src/testing/consumer-groups.ts';
import {
  natsServerMissing,
  type PrivateNats,
  startPrivateNats,
} from '../../src/testing/private-nats.ts';
import { testEvents, uniqueContext } from './support.ts';

describe('deleteConsumerGroups', { skip: natsServerMissing() }, () => {
  let server: PrivateNats;
  before(async () => {
    server = await startPrivateNats();
  });
  after(() => server?.stop());

  async function groupNames(): Promise<string[]> {
    const nc = await connect({ servers: server.url });
    try {
      const jsm = await jetstreamManager(nc);
      const names: string[] = [];
      for await (const stream of jsm.streams.list()) {
        for await (const consumer of jsm.consumers.list(stream.config.name))
          names.push(consumer.name);
      }
      return names.sort();
    } finally {
      await nc.close();
    }
  }

  it("deletes a test run's groups by prefix and leaves the others", async (t) => {
    const bus = await JetStreamBus.connect({ servers: server.url });
    t.after(() => bus.terminate());
    const events = testEvents(uniqueContext('cg'));
    for (const group of ['run1-totals', 'run1-tally', 'other-totals']) {
      const subscription = await bus.subscribe({
        group,
        subjects: [events.subject],
        handler: async () => {},
      });
      await subscription.drain();
    }
    assert.deepEqual(await groupNames(), ['other-totals', 'run1-tally', 'run1-totals']);
    assert.equal(await deleteConsumerGroups(server.url, 'run1-'), 2);
    assert.deepEqual(await groupNames(), ['other-totals']);
    await assert.rejects(deleteConsumerGroups(server.url, ''), RangeError);
  });
});
