import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kvm } from '@nats-io/kv';
import { connect } from '@nats-io/transport-node';
import { Value } from 'typebox/value';
import {
  createDiscovery,
  DnsDiscovery,
  discoveryConfigSchema,
  NatsKvDiscovery,
  registerInstance,
  StaticDiscovery,
} from '../../src/discovery/index.ts';
import { infrastructure, needs } from '../../src/testing/index.ts';
import { HEARTBEAT_MS, TTL_MS, uniqueBucket, until } from './support.ts';

const natsUrl = infrastructure.find((i) => i.name === 'nats')!.url;

test('every discovery key has a default and a description', () => {
  for (const [key, schema] of Object.entries(discoveryConfigSchema.properties)) {
    assert.ok((schema as { description?: string }).description, `${key} has a description`);
    assert.ok((schema as { default?: unknown }).default !== undefined, `${key} has a default`);
  }
  const defaults = Value.Default(discoveryConfigSchema, {}) as Record<string, unknown>;
  assert.equal(defaults.DISCOVERY_MODE, 'static');
});

test('static mode: the SERVICE_URLS table; registration does nothing', async () => {
  const discovery = await createDiscovery({
    DISCOVERY_MODE: 'static',
    SERVICE_URLS: 'users=http://users-1:8080|http://users-2:8080/',
  });
  assert.ok(discovery instanceof StaticDiscovery);
  assert.deepEqual(discovery.instances('users'), ['http://users-1:8080', 'http://users-2:8080']);
  assert.deepEqual(
    discovery.all?.().map((r) => `${r.id}:${r.health}`),
    ['users-1:8080:ready', 'users-2:8080:ready'],
  );
  const registration = await registerInstance(
    discovery,
    { service: 'users', port: 8080 },
    { INSTANCE_ADDRESS: '10.0.0.9', INSTANCE_ZONE: 'eu-1b' },
  );
  assert.equal(registration.record.url, 'http://10.0.0.9:8080');
  assert.equal(registration.record.zone, 'eu-1b');
  await registration.markDraining();
  await registration.deregister();
  assert.deepEqual(discovery.instances('users'), ['http://users-1:8080', 'http://users-2:8080']);
  await discovery.close?.();
});

test('dns mode: the listed services resolved before it resolves', async () => {
  const discovery = await createDiscovery({
    DISCOVERY_MODE: 'dns',
    DISCOVERY_DNS_SERVICES: 'web=localhost:18400',
    DISCOVERY_DNS_INTERVAL_MS: 10_000,
  });
  assert.ok(discovery instanceof DnsDiscovery);
  assert.deepEqual(discovery.instances('web'), ['http://127.0.0.1:18400']);
  await discovery.close?.();
});

test('nats-kv mode: a registration from config is seen by a watcher from config', {
  skip: needs('nats'),
}, async (t) => {
  const config = {
    DISCOVERY_MODE: 'nats-kv' as const,
    NATS_URL: natsUrl,
    DISCOVERY_BUCKET: uniqueBucket('factory'),
    DISCOVERY_TTL_MS: TTL_MS,
    DISCOVERY_HEARTBEAT_MS: HEARTBEAT_MS,
    HOST: '127.0.0.1',
    INSTANCE_ZONE: 'eu-1c',
    INSTANCE_ID: 'notes-a',
  };
  const service = await createDiscovery(config, { name: 'notes' });
  const gateway = await createDiscovery(config, { name: 'gateway' });
  t.after(async () => {
    await gateway.close?.();
    await service.close?.();
    const admin = await connect({ servers: natsUrl });
    await (await new Kvm(admin).open(config.DISCOVERY_BUCKET)).destroy();
    await admin.close();
  });
  assert.ok(service instanceof NatsKvDiscovery);
  const registration = await registerInstance(
    service,
    { service: 'notes', port: 18500, version: '0.1.0' },
    config,
  );
  await until(() => gateway.instances('notes').length === 1, 1_000, 'notes visible');
  const [record] = gateway.all?.() ?? [];
  assert.equal(record?.url, 'http://127.0.0.1:18500');
  assert.equal(record?.id, 'notes-a');
  assert.equal(record?.zone, 'eu-1c');
  await registration.markDraining();
  await until(() => gateway.instances('notes').length === 0, 1_000, 'draining excluded');
  await registration.deregister();
  await until(() => (gateway.all?.() ?? []).length === 0, 1_000, 'deregistered');
});
