import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';

/**
 * Deletes every JetStream consumer group whose name starts with `prefix` (a test's own
 * EVENT_GROUP_PREFIX), on every stream: a durable group outlives the test that made it, and
 * keeps its position and pending count on the server for good. Resolves with how many went.
 */
export async function deleteConsumerGroups(natsUrl: string, prefix: string): Promise<number> {
  // An empty prefix would name every group of every installation on the server.
  if (prefix.length < 3) throw new RangeError(`refusing to delete groups by prefix "${prefix}"`);
  const nc = await connect({ servers: natsUrl, name: 'test-cleanup' });
  let deleted = 0;
  try {
    const jsm = await jetstreamManager(nc);
    for await (const stream of jsm.streams.list()) {
      for await (const consumer of jsm.consumers.list(stream.config.name)) {
        if (!consumer.name.startsWith(prefix)) continue;
        await jsm.consumers.delete(stream.config.name, consumer.name);
        deleted += 1;
      }
    }
  } finally {
    await nc.close();
  }
  return deleted;
}
