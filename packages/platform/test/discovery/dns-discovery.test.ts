import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DnsDiscovery, dnsTarget, systemResolve } from '../../src/discovery/index.ts';
import type { DiscoveryChange } from '../../src/discovery.ts';
import { memoryLogger, until } from './support.ts';

test('dns: localhost resolves to its addresses on the configured port', async (t) => {
  const discovery = await DnsDiscovery.start({
    services: ['localhost'],
    template: '{service}',
    port: 18300,
    intervalMs: 100,
  });
  t.after(() => discovery.close());
  const urls = discovery.instances('localhost');
  assert.ok(urls.includes('http://127.0.0.1:18300'), `got ${urls.join(', ')}`);
  assert.deepEqual(discovery.services(), ['localhost']);
  const [record] = discovery.all();
  assert.equal(record?.health, 'ready');
  assert.equal(record?.port, 18300);
});

test('dns: a name that does not resolve has no instances and does not throw', async (t) => {
  const logger = memoryLogger();
  const discovery = await DnsDiscovery.start({
    services: ['no-such-service'],
    template: '{service}.invalid:8080',
    intervalMs: 100,
    logger,
  });
  t.after(() => discovery.close());
  assert.deepEqual(discovery.instances('no-such-service'), []);
  // Configured, so listed: an operator sees the service has no instances.
  assert.deepEqual(discovery.services(), ['no-such-service']);
  await sleep(350);
  // Reported once per outage, not once per interval.
  assert.equal(logger.lines.filter((l) => l.level === 'warn').length, 1);
});

test('dns: a failed re-resolution keeps the last good answer; a new answer replaces it', async (t) => {
  let host = 'localhost';
  const changes: DiscoveryChange[] = [];
  const discovery = await DnsDiscovery.start({
    services: ['users'],
    port: 18301,
    intervalMs: 50,
    // The real resolver, pointed at a name that fails or one that answers.
    resolve: (name) => (name === 'users' ? systemResolve(host) : Promise.reject(new Error(name))),
    logger: memoryLogger(),
  });
  t.after(() => discovery.close());
  discovery.watch((change) => changes.push(change));
  assert.ok(discovery.instances('users').includes('http://127.0.0.1:18301'));

  host = 'no-such-host.invalid';
  await sleep(300);
  assert.ok(discovery.instances('users').includes('http://127.0.0.1:18301'));
  assert.equal(changes.length, 0);

  host = '127.0.0.2';
  await until(
    () => discovery.instances('users').includes('http://127.0.0.2:18301'),
    1_000,
    'new answer',
  );
  assert.deepEqual(discovery.instances('users'), ['http://127.0.0.2:18301']);
  assert.equal(changes.at(-1)?.service, 'users');
  assert.deepEqual(
    changes.at(-1)?.instances.map((r) => r.url),
    ['http://127.0.0.2:18301'],
  );
});

test('dns: a service first asked for is resolved in the background', async (t) => {
  const discovery = await DnsDiscovery.start({
    template: '{service}',
    port: 18302,
    intervalMs: 10_000,
  });
  t.after(() => discovery.close());
  // The port is synchronous: the first call cannot wait for the resolver.
  assert.deepEqual(discovery.instances('localhost'), []);
  await until(() => discovery.instances('localhost').length > 0, 1_000, 'lazy resolution');
  assert.ok(discovery.services().includes('localhost'));
});

test('dns: names come from the template, a per-service port, or an explicit target', () => {
  const k8s = {
    template: '{service}.{namespace}.svc.cluster.local',
    namespace: 'shop',
    port: 8080,
  };
  assert.deepEqual(dnsTarget('users', k8s), { host: 'users.shop.svc.cluster.local', port: 8080 });
  assert.deepEqual(dnsTarget('users', { ...k8s, ports: { users: 8082 } }), {
    host: 'users.shop.svc.cluster.local',
    port: 8082,
  });
  assert.deepEqual(dnsTarget('todos', { port: 8083 }), { host: 'todos', port: 8083 });
  assert.deepEqual(dnsTarget('todos', { overrides: { todos: '[::1]:9000' } }), {
    host: '::1',
    port: 9000,
  });
  assert.throws(() => dnsTarget('todos', { overrides: { todos: 'todos:99999' } }), /host:port/);
});
