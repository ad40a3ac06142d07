import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { NatsKvDiscovery } from '../../src/discovery/index.ts';
import { needs } from '../../src/testing/index.ts';
import {
  natsServerMissing,
  type PrivateNats,
  startPrivateNats,
} from '../../src/testing/private-nats.ts';
import { HEARTBEAT_MS, memoryLogger, TTL_MS, until } from './support.ts';

// Its own nats-server: killing the shared one would break every other test running in parallel.
test('a watcher keeps its table while NATS is down and resumes watching when it is back', {
  skip: needs('nats') || natsServerMissing(),
}, async () => {
  const nats: PrivateNats = await startPrivateNats();
  after(() => nats.stop());
  const options = {
    servers: nats.url,
    ttlMs: TTL_MS,
    heartbeatMs: HEARTBEAT_MS,
    reconnectTimeWaitMs: 100,
  };
  const gatewayLog = memoryLogger();
  const gateway = await NatsKvDiscovery.connect({ ...options, logger: gatewayLog });
  const users = await NatsKvDiscovery.connect({ ...options, logger: memoryLogger() });
  after(async () => {
    await users.close();
    await gateway.close();
  });
  await users.register({ service: 'users', address: '127.0.0.1', port: 18201 });
  await until(() => gateway.instances('users').length === 1, 1_000, 'users visible');

  await nats.kill();
  await until(() => !gateway.connected, 2_000, 'outage noticed');
  // Twice the TTL without a single heartbeat: still routed, since nobody could have sent one.
  await sleep(2 * TTL_MS);
  assert.deepEqual(gateway.instances('users'), ['http://127.0.0.1:18201']);
  assert.deepEqual(gateway.services(), ['users']);
  assert.ok(gatewayLog.lines.some((l) => l.level === 'warn' && l.msg.includes('lost NATS')));

  await nats.start();
  await until(() => gateway.connected, 5_000, 'reconnected');
  // Registered after the restart: only a watch that resumed can see it.
  await until(
    async () => {
      try {
        // A fixed id: an attempt that timed out but landed is overwritten, not duplicated.
        await users.register({ service: 'todos', id: 'after', address: '127.0.0.1', port: 18202 });
        return true;
      } catch {
        return false;
      }
    },
    5_000,
    'registration after restart',
  );
  await until(() => gateway.instances('todos').length === 1, 3_000, 'new instance after restart');
  // The instance from before the outage heartbeats again, so it outlives a full TTL after it.
  await sleep(TTL_MS + HEARTBEAT_MS);
  assert.deepEqual(gateway.instances('users'), ['http://127.0.0.1:18201']);
});
