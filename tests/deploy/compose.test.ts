// deploy/compose.yaml against the service catalog and the config schemas: every service is
// there on its catalog port, wired like `npm run start:distributed` (SERVICE_URLS, service
// credentials, signing key), and its environment loads under its own config schema. Compose
// itself is not run (no Docker engine here): this checks what can be checked without it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { loadConfig } from '@lattice/platform';
import { parse, parseAllDocuments } from 'yaml';
import {
  catalog,
  credentialTable,
  deployDir,
  interpolateDefaults,
  knownKey,
  readCompose,
  runSecretsInit,
  serviceSchema,
  which,
  yamlFiles,
} from './support/deploy-files.ts';

const compose = readCompose();
const tmp = mkdtempSync(join(tmpdir(), 'lattice-compose-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const SECRETS_MOUNT = '/run/secrets/lattice/';

test('every YAML file under deploy/ parses without errors or duplicate keys', () => {
  const files = yamlFiles(deployDir);
  assert.ok(files.some((f) => f.endsWith('compose.yaml')));
  for (const file of files) {
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      assert.deepEqual(
        doc.errors.map((e) => e.message),
        [],
        file,
      );
    }
  }
});

describe('compose.yaml', () => {
  test('runs every catalog service from the one image with its catalog PORT', () => {
    const image = compose.services.gateway.image;
    for (const { name, port } of catalog) {
      const service = compose.services[name];
      assert.ok(service, `no Compose service ${name}`);
      assert.deepEqual(service.command, ['node', `services/${name}/src/main.ts`], name);
      assert.equal(service.image, image, `${name} runs another image`);
      assert.equal(service.build.dockerfile, 'deploy/Dockerfile', name);
      assert.equal(service.environment.PORT, String(port), `${name} PORT`);
      assert.equal(service.restart, 'unless-stopped', name);
      assert.equal(service.read_only, true, name);
    }
  });

  test('SERVICE_URLS names every catalog service at its Compose name and port', () => {
    const urls = catalog.map(({ name }) => compose.services[name].environment.SERVICE_URLS);
    assert.equal(new Set(urls).size, 1, 'every service gets the same table');
    const table = new Map(urls[0].split(',').map((pair: string) => pair.split('=')));
    assert.deepEqual(
      [...table].sort(),
      catalog.map(({ name, port }) => [name, `http://${name}:${port}`]).sort(),
    );
  });

  test('health checks ask /health/ready at the service port, and start waits on them', () => {
    for (const { name } of catalog) {
      const { healthcheck, depends_on: dependsOn } = compose.services[name];
      const probe = healthcheck.test.join(' ');
      assert.match(probe, /process\.env\.PORT \+ '\/health\/ready'/, name);
      for (const infrastructure of ['postgres', 'nats', 'redis'])
        assert.equal(
          dependsOn[infrastructure]?.condition,
          'service_healthy',
          `${name}→${infrastructure}`,
        );
      assert.equal(dependsOn['secrets-init']?.condition, 'service_completed_successfully', name);
    }
    for (const infrastructure of ['postgres', 'nats', 'redis'])
      assert.ok(compose.services[infrastructure].healthcheck, infrastructure);
    const gatewayDependsOn = compose.services.gateway.depends_on;
    for (const { name } of catalog.filter((s) => s.name !== 'gateway'))
      assert.equal(gatewayDependsOn[name]?.condition, 'service_healthy', `gateway→${name}`);
    assert.equal(compose.services.nats.command.includes('-js'), true, 'JetStream enabled');
  });

  test('only the gateway is published beyond 127.0.0.1', () => {
    for (const [name, service] of Object.entries<{ ports?: string[]; profiles?: string[] }>(
      compose.services,
    )) {
      for (const mapping of service.ports ?? []) {
        const published = interpolateDefaults(mapping);
        if (name === 'gateway') assert.equal(published, '8080:8080');
        else assert.match(published, /^127\.0\.0\.1:/, `${name} publishes ${published}`);
      }
    }
    assert.ok(compose.services.gateway.ports.length > 0);
  });

  test("each service's environment loads under its config schema, secrets from the generated files", async () => {
    const secretsDir = join(tmp, 'secrets');
    runSecretsInit(compose, secretsDir);
    const jwtKey = readFileSync(join(secretsDir, 'jwt-private-key.pem'), 'utf8');
    runSecretsInit(compose, secretsDir);
    assert.equal(readFileSync(join(secretsDir, 'jwt-private-key.pem'), 'utf8'), jwtKey, 'kept');

    for (const entry of catalog) {
      const schema = await serviceSchema(entry);
      const environment = compose.services[entry.name].environment as Record<string, string>;
      const env: Record<string, string> = {};
      for (const [key, value] of Object.entries(environment)) {
        assert.ok(knownKey(schema, key), `${entry.name}: ${key} is in no config schema`);
        const text = interpolateDefaults(String(value));
        env[key] = text.startsWith(SECRETS_MOUNT)
          ? join(secretsDir, text.slice(SECRETS_MOUNT.length))
          : text;
      }
      const config = loadConfig(entry.name, schema, env) as Record<string, unknown>;
      assert.equal(config.LATTICE_MODE, 'distributed', entry.name);
      assert.equal(config.PORT, entry.port, entry.name);
      assert.ok(String(config.SERVICE_CLIENT_SECRET).length >= 32, `${entry.name} credential`);
    }
  });

  test("auth's credential table holds each service's own credential; payments and the sandbox share a key", () => {
    const secretsDir = join(tmp, 'secrets-table');
    runSecretsInit(compose, secretsDir);
    const read = (file: string) => readFileSync(join(secretsDir, file), 'utf8');
    const table = credentialTable(read('service-credentials'));
    for (const { name } of catalog) {
      const file = compose.services[name].environment.SERVICE_CLIENT_SECRET_FILE;
      assert.equal(file, `${SECRETS_MOUNT}${name}.client-secret`, name);
      assert.equal(table.get(name), read(`${name}.client-secret`), name);
    }
    const auth = compose.services.auth.environment;
    assert.equal(auth.AUTH_SERVICE_CREDENTIALS_FILE, `${SECRETS_MOUNT}service-credentials`);
    assert.equal(auth.JWT_PRIVATE_KEY_FILE, `${SECRETS_MOUNT}jwt-private-key.pem`);
    assert.match(read('jwt-private-key.pem'), /BEGIN PRIVATE KEY/);
    assert.equal(
      compose.services.payments.environment.PAYMENTS_PROVIDER_API_KEY_FILE,
      compose.services['payment-sandbox'].environment.PAYMENT_SANDBOX_API_KEY_FILE,
    );
  });

  test('auth trusts the X-Forwarded-For of the gateway, at its fixed address', () => {
    const address = interpolateDefaults(compose.services.gateway.networks.lattice.ipv4_address);
    assert.equal(
      interpolateDefaults(compose.services.auth.environment.AUTH_TRUSTED_PROXIES),
      address,
    );
    const subnet = interpolateDefaults(compose.networks.lattice.ipam.config[0].subnet);
    assert.ok(
      address.startsWith(subnet.split('.').slice(0, 3).join('.')),
      `${address} in ${subnet}`,
    );
  });

  test("the observability profile's Prometheus scrapes every catalog service at its port", () => {
    const prometheus = parse(compose.configs['prometheus-config'].content);
    const targets = prometheus.scrape_configs[0].static_configs.map(
      (c: { targets: string[]; labels: { service: string } }) => [c.labels.service, c.targets[0]],
    );
    assert.deepEqual(
      targets.sort(),
      catalog.map(({ name, port }) => [name, `${name}:${port}`]).sort(),
    );
    for (const name of ['jaeger', 'prometheus', 'grafana'])
      assert.deepEqual(compose.services[name].profiles, ['observability'], name);
  });

  // Debian's prometheus package brings promtool; CI installs it for the observability tests.
  const noPromtool =
    !which('promtool') && !['true', '1'].includes(process.env.CI ?? '')
      ? 'promtool is not installed (apt-get install -y prometheus)'
      : false;
  test("promtool accepts the observability profile's Prometheus config and rules", {
    skip: noPromtool,
  }, () => {
    const dir = join(tmp, 'prometheus');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'prometheus.yml'), compose.configs['prometheus-config'].content);
    const [alerts] = compose.services.prometheus.volumes
      .map((volume: string) => volume.split(':'))
      .filter(([, target]: string[]) => target === '/etc/prometheus/alerts.yml')
      .map(([source]: string[]) => join(deployDir, source!));
    copyFileSync(alerts, join(dir, 'alerts.yml'));
    const output = execFileSync('promtool', ['check', 'config', join(dir, 'prometheus.yml')], {
      encoding: 'utf8',
    });
    assert.match(output, /SUCCESS/);
  });
});
