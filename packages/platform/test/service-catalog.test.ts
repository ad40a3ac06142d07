import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { portVariable, readServiceCatalog, serviceUrls } from '../src/runtime/service-catalog.ts';

const roots: string[] = [];
after(() => {
  for (const root of roots) rmSync(root, { recursive: true, force: true });
});

type Files = Record<string, string>;

/** A repository root whose `services/<name>/` hold the given files (path → text). */
function repo(services: Record<string, Files>): string {
  const root = mkdtempSync(join(tmpdir(), 'lattice-catalog-'));
  roots.push(root);
  for (const [name, files] of Object.entries(services)) {
    mkdirSync(join(root, 'services', name), { recursive: true });
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(join(root, 'services', name, path, '..'), { recursive: true });
      writeFileSync(join(root, 'services', name, path), text);
    }
  }
  return root;
}

/** A well-formed service declaring `port` (any JSON value, to test bad ones). */
function service(port: unknown): Files {
  return {
    'package.json': JSON.stringify({ name: 'x', lattice: { port } }),
    'src/app.ts': '',
    'src/main.ts': '',
  };
}

const ports = (root: string, env: Record<string, string | undefined> = {}) =>
  readServiceCatalog(root, env).map(({ name, port }) => ({ name, port }));

describe('readServiceCatalog', () => {
  test('lists every services/<name> with src/app.ts, sorted by port, with its modules', () => {
    const root = repo({
      users: service(8081),
      gateway: service(8080),
      todos: service(8082),
      'not-a-service': { 'package.json': '{}', 'src/index.ts': '' },
      'no-src': { 'README.md': '' },
    });
    writeFileSync(join(root, 'services', 'stray-file.ts'), '');

    const catalog = readServiceCatalog(root, {});

    assert.deepEqual(
      catalog.map(({ name, port }) => ({ name, port })),
      [
        { name: 'gateway', port: 8080 },
        { name: 'users', port: 8081 },
        { name: 'todos', port: 8082 },
      ],
    );
    const usersDir = join(root, 'services', 'users');
    assert.deepEqual(catalog[1], {
      name: 'users',
      dir: usersDir,
      port: 8081,
      appModule: pathToFileURL(join(usersDir, 'src', 'app.ts')).href,
      mainModule: join(usersDir, 'src', 'main.ts'),
    });
  });

  test('a repository without services/ has an empty catalog', () => {
    assert.deepEqual(readServiceCatalog(repo({}), {}), []);
    const bare = mkdtempSync(join(tmpdir(), 'lattice-catalog-'));
    roots.push(bare);
    assert.deepEqual(readServiceCatalog(bare, {}), []);
  });

  test('<NAME>_PORT overrides the declared port; an empty one is ignored', () => {
    const root = repo({ gateway: service(8080), users: service(8081), 'web-admin': service(8090) });
    assert.deepEqual(
      ports(root, { GATEWAY_PORT: '9000', WEB_ADMIN_PORT: '9100', USERS_PORT: '' }),
      [
        { name: 'users', port: 8081 },
        { name: 'gateway', port: 9000 },
        { name: 'web-admin', port: 9100 },
      ],
    );
    assert.equal(portVariable('gateway'), 'GATEWAY_PORT');
    assert.equal(portVariable('web-admin'), 'WEB_ADMIN_PORT');
  });

  test('a <NAME>_PORT that is not an integer 1-65535 is refused by name and value', () => {
    const root = repo({ users: service(8081) });
    assert.throws(() => readServiceCatalog(root, { USERS_PORT: 'eighty' }), {
      message: 'USERS_PORT=eighty: expected an integer 1-65535',
    });
    for (const bad of ['0', '65536', '80.5', '-1', '0x50', ' 80']) {
      assert.throws(
        () => readServiceCatalog(root, { USERS_PORT: bad }),
        { message: `USERS_PORT=${bad}: expected an integer 1-65535` },
        `USERS_PORT=${bad}`,
      );
    }
  });

  test('a service whose package.json declares no port is refused, even when overridden', () => {
    const root = repo({
      users: { 'package.json': '{"name":"users"}', 'src/app.ts': '', 'src/main.ts': '' },
    });
    const manifest = join(root, 'services', 'users', 'package.json');
    for (const env of [{}, { USERS_PORT: '8081' }]) {
      assert.throws(
        () => readServiceCatalog(root, env),
        (error: Error) =>
          error.message.startsWith(`${manifest}: needs "lattice": { "port"`) &&
          error.message.includes('every service declares its port'),
      );
    }
  });

  test('a lattice.port that is not an integer 1-65535 is refused, naming the file', () => {
    for (const bad of ['8081', 0, 65536, 80.5, null]) {
      const root = repo({ users: service(bad) });
      const manifest = join(root, 'services', 'users', 'package.json');
      assert.throws(
        () => readServiceCatalog(root, {}),
        { message: `${manifest}: lattice.port must be an integer 1-65535` },
        `lattice.port ${JSON.stringify(bad)}`,
      );
    }
  });

  test('a missing or malformed package.json is refused, naming the file', () => {
    const missing = repo({ users: { 'src/app.ts': '', 'src/main.ts': '' } });
    assert.throws(() => readServiceCatalog(missing, {}), {
      message: `${join(missing, 'services', 'users', 'package.json')}: cannot read it (missing)`,
    });
    const malformed = repo({
      users: { 'package.json': '{"lattice":', 'src/app.ts': '', 'src/main.ts': '' },
    });
    assert.throws(
      () => readServiceCatalog(malformed, {}),
      (error: Error) =>
        error.message.startsWith(`${join(malformed, 'services', 'users', 'package.json')}: `),
    );
  });

  test('a service with src/app.ts but no src/main.ts is refused', () => {
    const root = repo({ users: { 'package.json': '{"lattice":{"port":8081}}', 'src/app.ts': '' } });
    assert.throws(() => readServiceCatalog(root, {}), {
      message: `${join(root, 'services', 'users', 'src', 'main.ts')}: missing; a service with src/app.ts needs src/main.ts`,
    });
  });

  test('two services on one port are refused, whether declared or overridden', () => {
    const declared = repo({ todos: service(8082), users: service(8082) });
    assert.throws(() => readServiceCatalog(declared, {}), {
      message: 'todos and users would both listen on port 8082',
    });
    const overridden = repo({ gateway: service(8080), todos: service(8082) });
    assert.throws(() => readServiceCatalog(overridden, { TODOS_PORT: '8080' }), {
      message: 'gateway and todos would both listen on port 8080',
    });
  });
});

describe('serviceUrls', () => {
  test('names every service at its port on the given host', () => {
    const catalog = readServiceCatalog(repo({ gateway: service(8080), users: service(8081) }), {
      USERS_PORT: '9001',
    });
    assert.equal(serviceUrls(catalog), 'gateway=http://127.0.0.1:8080,users=http://127.0.0.1:9001');
    assert.equal(
      serviceUrls(catalog, 'lattice.local'),
      'gateway=http://lattice.local:8080,users=http://lattice.local:9001',
    );
    assert.equal(serviceUrls([]), '');
  });
});
