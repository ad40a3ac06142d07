import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { NatsKvDiscovery, type NatsKvDiscoveryOptions } from '../../src/discovery/index.ts';
import type { DiscoveryChange } from '../../src/discovery.ts';
import { infrastructure, needs } from '../../src/testing/index.ts';
import { HEARTBEAT_MS, memoryLogger, TTL_MS, uniqueBucket, until } from './support.ts';

const natsUrl = infrastructure.find((i) => i.name === 'nats')!.url;

describe('NatsKvDiscovery', { skip: needs('nats') }, () => {
  const bucket = uniqueBucket('kv');
  const opened: NatsKvDiscovery[] = [];
  let admin: NatsConnection;
  let watcher: NatsKvDiscovery;

  async function open(options: NatsKvDiscoveryOptions = {}): Promise<NatsKvDiscovery> {
    const discovery = await NatsKvDiscovery.connect({
      servers: natsUrl,
      bucket,
      ttlMs: TTL_MS,
      heartbeatMs: HEARTBEAT_MS,
      ...options,
    });
    opened.push(discovery);
    return discovery;
  }

  before(async () => {
    admin = await connect({ servers: natsUrl });
    watcher = await open({ name: 'gateway' });
  });

  after(async () => {
    for (const discovery of opened.reverse()) await discovery.close();
    await (await new Kvm(admin).open(bucket)).destroy();
    await admin.close();
  });

  test('a registered instance appears in a watcher within a second, and a second one beside it', async () => {
    const changes: DiscoveryChange[] = [];
    const stop = watcher.watch((change) => changes.push(change));
    const first = await open({ name: 'users-1' });
    const one = await first.register({
      service: 'users',
      address: '127.0.0.1',
      port: 18081,
      version: '1.2.0',
      zone: 'eu-1a',
    });
    const elapsed = await until(
      () => watcher.instances('users').includes('http://127.0.0.1:18081'),
      1_000,
      'first instance visible',
    );
    assert.ok(elapsed < 1_000);
    assert.deepEqual(watcher.services(), ['users']);
    const [listed] = watcher.all().filter((r) => r.service === 'users');
    assert.equal(listed?.id, one.record.id);
    assert.equal(listed?.version, '1.2.0');
    assert.equal(listed?.zone, 'eu-1a');
    assert.equal(listed?.health, 'ready');
    assert.ok(changes.some((c) => c.service === 'users' && c.instances.length === 1));

    const second = await open({ name: 'users-2' });
    await second.register({ service: 'users', address: '127.0.0.1', port: 18082 });
    await until(() => watcher.instances('users').length === 2, 1_000, 'second instance visible');
    assert.deepEqual(watcher.instances('users').sort(), [
      'http://127.0.0.1:18081',
      'http://127.0.0.1:18082',
    ]);
    // Heartbeats of unchanged instances are not news: listeners hear of additions only.
    const heard = changes.length;
    await sleep(HEARTBEAT_MS * 3);
    assert.equal(changes.length, heard);
    stop();
  });

  test('deregister removes the instance from every watcher at once', async () => {
    const instance = await open({ name: 'todos-1' });
    const registration = await instance.register({
      service: 'todos',
      address: '127.0.0.1',
      port: 18090,
    });
    await until(() => watcher.instances('todos').length === 1, 1_000, 'todos visible');
    await registration.deregister();
    // Well under the TTL: the delete itself is seen, not the expiry.
    await until(() => watcher.instances('todos').length === 0, 500, 'todos gone');
    assert.ok(!watcher.services().includes('todos'));
    assert.ok(!watcher.all().some((r) => r.service === 'todos'));
  });

  test('an instance that stops heartbeating without deregistering disappears within the TTL', async () => {
    const connection = await connect({ servers: natsUrl });
    const doomed = await NatsKvDiscovery.connect({
      connection,
      bucket,
      ttlMs: TTL_MS,
      heartbeatMs: HEARTBEAT_MS,
      logger: memoryLogger(),
    });
    await doomed.register({ service: 'orders', address: '127.0.0.1', port: 18100 });
    await until(() => watcher.instances('orders').length === 1, 1_000, 'orders visible');
    // A crash: the connection goes, the key stays behind in the bucket.
    await connection.close();
    const started = Date.now();
    await sleep(TTL_MS / 2);
    assert.equal(watcher.instances('orders').length, 1, 'not dropped before the TTL');
    await until(() => watcher.instances('orders').length === 0, TTL_MS, 'dead instance dropped');
    // The last heartbeat preceded the crash, so the TTL counts from before `started`; the margin
    // is for a loaded machine's timers, not for discovery.
    assert.ok(Date.now() - started <= TTL_MS + 500, 'dropped within the TTL');
    await doomed.close();
  });

  test('a draining instance gets no traffic but stays listed until it deregisters', async () => {
    const instance = await open({ name: 'payments-1' });
    const draining = await instance.register({
      service: 'payments',
      address: '127.0.0.1',
      port: 18110,
    });
    await instance.register({ service: 'payments', address: '127.0.0.1', port: 18111 });
    await until(() => watcher.instances('payments').length === 2, 1_000, 'payments visible');
    await draining.markDraining();
    await until(() => watcher.instances('payments').length === 1, 1_000, 'draining excluded');
    assert.deepEqual(watcher.instances('payments'), ['http://127.0.0.1:18111']);
    const listed = watcher.all().filter((r) => r.service === 'payments');
    assert.deepEqual(listed.map((r) => `${r.port}:${r.health}`).sort(), [
      '18110:draining',
      '18111:ready',
    ]);
    // Heartbeats go on while it drains: it must not expire mid-shutdown.
    await sleep(TTL_MS + HEARTBEAT_MS);
    assert.ok(watcher.all().some((r) => r.port === 18110 && r.health === 'draining'));
    await draining.deregister();
    await until(
      () => !watcher.all().some((r) => r.port === 18110),
      1_000,
      'deregistered after draining',
    );
  });

  test('a new watcher loads current instances, ignoring stale and malformed entries', async () => {
    const kv = await new Kvm(admin).open(bucket);
    const old = new Date(Date.now() - 10 * TTL_MS).toISOString();
    await kv.put(
      'search.ghost',
      JSON.stringify({
        service: 'search',
        id: 'ghost',
        address: '127.0.0.1',
        port: 18120,
        url: 'http://127.0.0.1:18120',
        version: '',
        zone: '',
        health: 'ready',
        startedAt: old,
        heartbeatAt: old,
      }),
    );
    await kv.put('search.broken', '{"service":"search"');
    const live = await open({ name: 'search-1' });
    await live.register({ service: 'search', address: '127.0.0.1', port: 18121 });
    const logger = memoryLogger();
    const late = await open({ name: 'late-watcher', logger });
    // Loaded before connect resolves: no wait for the next heartbeat.
    assert.deepEqual(late.instances('search'), ['http://127.0.0.1:18121']);
    assert.ok(late.instances('users').length >= 1);
    assert.ok(
      logger.lines.some((l) => l.msg.includes('malformed') && l.obj.key === 'search.broken'),
    );
    await kv.delete('search.ghost');
    await kv.delete('search.broken');
  });

  test('closing a discovery deregisters what it registered', async () => {
    const instance = await NatsKvDiscovery.connect({
      servers: natsUrl,
      bucket,
      ttlMs: TTL_MS,
      heartbeatMs: HEARTBEAT_MS,
    });
    await instance.register({ service: 'analytics', address: '127.0.0.1', port: 18130 });
    await until(() => watcher.instances('analytics').length === 1, 1_000, 'analytics visible');
    await instance.close();
    await until(() => watcher.instances('analytics').length === 0, 500, 'analytics gone');
  });
});
