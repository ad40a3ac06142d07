import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { CatalogEntry } from '@lattice/platform';
import { buildSpecs } from './discover-services.ts';
import { formatPrefix, LineBuffer } from './line-prefixer.ts';
import { type ServiceSpec, Supervisor, type SupervisorOptions } from './supervisor.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lattice-supervisor-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function childScript(name: string, source: string): Promise<ServiceSpec> {
  const file = join(dir, `${name}.mjs`);
  await writeFile(file, source);
  return { name, command: process.execPath, args: [file], env: process.env };
}

// Keeps a child alive until signalled, the way a listening server would.
const STAY_ALIVE = 'setInterval(() => {}, 1000);';

function collector() {
  const chunks: string[] = [];
  return {
    write(text: string) {
      chunks.push(text);
      return true;
    },
    text: () => chunks.join(''),
    lines: () => chunks.join('').split('\n').slice(0, -1),
  };
}

function supervise(specs: ServiceSpec[], options: SupervisorOptions = {}) {
  const stdout = collector();
  const stderr = collector();
  const supervisor = new Supervisor(specs, { stdout, stderr, ...options });
  return { supervisor, stdout, stderr };
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 4_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// 'supervisor' is the widest name in these tests, so every label is padded to its width.
const label = (name: string) => `${`[${name}]`.padEnd('[supervisor]'.length)} `;

describe('output', () => {
  test('LineBuffer holds a partial line until its newline arrives', () => {
    const lines = new LineBuffer();
    assert.deepEqual(lines.push('hel'), []);
    assert.deepEqual(lines.push('lo\r\nwor'), ['hello']);
    assert.deepEqual(lines.push('ld\n\n'), ['world', '']);
    assert.deepEqual(lines.push('tail'), []);
    assert.deepEqual(lines.flush(), ['tail']);
    assert.deepEqual(lines.flush(), []);
  });

  test('a coloured prefix wraps the padded label in an ANSI colour', () => {
    assert.equal(formatPrefix('users', 10, 0, false), '[users]      ');
    assert.equal(formatPrefix('users', 10, 0, true), '\x1b[36m[users]     \x1b[0m ');
  });

  test('every stdout and stderr line of a child carries its padded name', async () => {
    const echo = await childScript(
      'echo',
      `process.stdout.write('hel');
       setTimeout(() => {
         process.stdout.write('lo\\nwor');
         setTimeout(() => {
           process.stdout.write('ld\\n');
           process.stderr.write('oops\\n');
           process.stdout.write('no newline at exit');
         }, 30);
       }, 30);`,
    );
    const { supervisor, stdout, stderr } = supervise([echo], { backoffBaseMs: 60_000 });
    const exited = new Promise((resolve) => supervisor.once('exit', resolve));
    supervisor.start();
    await exited;
    await waitFor(() => stdout.text().includes('no newline'), 'the final partial line');
    await supervisor.stop();

    const childLines = stdout.lines().filter((l) => !l.startsWith('[supervisor]'));
    assert.deepEqual(childLines, [
      `${label('echo')}hello`,
      `${label('echo')}world`,
      `${label('echo')}no newline at exit`,
    ]);
    assert.deepEqual(stderr.lines(), [`${label('echo')}oops`]);
  });
});

describe('restarts', () => {
  test('a crashing child is restarted with doubling delays up to the cap', async () => {
    const crashy = await childScript('crashy', 'process.exit(1);');
    const { supervisor, stdout } = supervise([crashy], {
      backoffBaseMs: 50,
      backoffCapMs: 150,
    });
    const spawnedAt: number[] = [];
    const exitedAt: number[] = [];
    const delays: number[] = [];
    supervisor.on('spawn', () => spawnedAt.push(Date.now()));
    supervisor.on('exit', () => exitedAt.push(Date.now()));
    supervisor.on('restart', (_name, delay) => delays.push(delay));
    supervisor.start();
    await waitFor(() => spawnedAt.length >= 5, 'five starts');
    await supervisor.stop();

    assert.deepEqual(delays.slice(0, 4), [50, 100, 150, 150]);
    for (let i = 0; i < 4; i++) {
      const waited = spawnedAt[i + 1]! - exitedAt[i]!;
      // Node timers may fire up to a millisecond early after rounding.
      assert.ok(waited >= delays[i]! - 2, `restart ${i + 1} came after ${waited} ms`);
    }
    assert.match(
      stdout.text(),
      /^\[supervisor\] crashy exited with code 1 \(signal null\); restarting in 100 ms$/m,
    );
  });

  test('a child that stayed up past stableAfterMs restarts after the base delay again', async () => {
    const flaky = await childScript('flaky', 'setTimeout(() => process.exit(1), 120);');
    const { supervisor } = supervise([flaky], { backoffBaseMs: 50, stableAfterMs: 80 });
    const delays: number[] = [];
    supervisor.on('restart', (_name, delay) => delays.push(delay));
    supervisor.start();
    await waitFor(() => delays.length >= 3, 'three restarts');
    await supervisor.stop();
    assert.deepEqual(delays.slice(0, 3), [50, 50, 50]);
  });

  test('stop() during a backoff cancels the pending restart', async () => {
    const crashy = await childScript('crashy', 'process.exit(3);');
    const { supervisor } = supervise([crashy], { backoffBaseMs: 60_000 });
    let starts = 0;
    supervisor.on('spawn', () => starts++);
    const restartScheduled = new Promise((resolve) => supervisor.once('restart', resolve));
    supervisor.start();
    await restartScheduled;
    const started = Date.now();
    assert.deepEqual(await supervisor.stop(), { killed: [] });
    assert.ok(Date.now() - started < 1_000);
    assert.equal(starts, 1);
  });
});

describe('stop', () => {
  test('SIGTERM runs the child shutdown handler and stop() resolves without restarting', async () => {
    const graceful = await childScript(
      'graceful',
      `process.on('SIGTERM', () => {
         console.log('got SIGTERM, closing');
         setTimeout(() => process.exit(0), 50);
       });
       console.log('ready');
       ${STAY_ALIVE}`,
    );
    const { supervisor, stdout } = supervise([graceful], { stopTimeoutMs: 3_000 });
    const exits: unknown[][] = [];
    let restarts = 0;
    supervisor.on('exit', (...args) => exits.push(args));
    supervisor.on('restart', () => restarts++);
    supervisor.start();
    await waitFor(() => stdout.text().includes('ready'), 'the child to be ready');

    assert.deepEqual(await supervisor.stop(), { killed: [] });
    assert.ok(stdout.lines().includes(`${label('graceful')}got SIGTERM, closing`));
    assert.deepEqual(exits, [['graceful', 0, null, true]]);
    assert.equal(restarts, 0);
  });

  test('a child ignoring SIGTERM is SIGKILLed after the timeout; the others stop cleanly', async () => {
    const stubborn = await childScript(
      'stubborn',
      `process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
       console.log('ready');
       ${STAY_ALIVE}`,
    );
    const polite = await childScript('polite', `console.log('ready');\n${STAY_ALIVE}`);
    const { supervisor, stdout } = supervise([stubborn, polite], { stopTimeoutMs: 300 });
    const exits = new Map<string, NodeJS.Signals | null>();
    supervisor.on('exit', (name, _code, signal) => exits.set(name, signal));
    supervisor.start();
    await waitFor(() => stdout.lines().filter((l) => l.endsWith('ready')).length === 2, 'ready');

    const started = Date.now();
    const result = await supervisor.stop();
    const took = Date.now() - started;

    assert.deepEqual(result, { killed: ['stubborn'] });
    assert.ok(took >= 300 && took < 3_000, `stop took ${took} ms`);
    assert.equal(exits.get('stubborn'), 'SIGKILL');
    assert.equal(exits.get('polite'), 'SIGTERM');
    assert.ok(stdout.lines().includes(`${label('stubborn')}ignoring SIGTERM`));
    assert.match(stdout.text(), /stubborn did not stop within 300 ms; sending SIGKILL/);
  });
});

describe('specs', () => {
  const entry = (name: string, port: number): CatalogEntry => {
    const serviceDir = join('/repo', 'services', name);
    return {
      name,
      dir: serviceDir,
      port,
      appModule: pathToFileURL(join(serviceDir, 'src', 'app.ts')).href,
      mainModule: join(serviceDir, 'src', 'main.ts'),
    };
  };

  test('each spec runs node on main.ts with mode, port, name and every peer URL', () => {
    const catalog = [entry('gateway', 8080), entry('users', 8081), entry('todos', 8101)];
    const env = {
      POSTGRES_URL: 'postgres://db/x',
      NATS_URL: 'nats://n:4222',
      REDIS_URL: 'redis://r',
    };
    const specs = buildSpecs(catalog, { command: '/bin/node24', env, rootDir: '/repo' });
    assert.deepEqual(
      specs.map((s) => s.name),
      ['gateway', 'users', 'todos'],
    );
    const users = specs[1]!;
    assert.equal(users.command, '/bin/node24');
    assert.deepEqual(users.args, [join('/repo', 'services', 'users', 'src', 'main.ts')]);
    assert.equal(users.cwd, '/repo');
    const { SERVICE_CLIENT_SECRET: usersSecret, ...usersEnv } = users.env as Record<string, string>;
    assert.match(
      usersSecret ?? '',
      /^[\w-]{43}$/,
      'each service gets its own service-token secret',
    );
    assert.notEqual(usersSecret, specs[0]!.env?.SERVICE_CLIENT_SECRET);
    assert.equal(usersEnv.AUTH_SERVICE_CREDENTIALS, undefined, 'only auth holds every credential');
    assert.deepEqual(usersEnv, {
      ...env,
      LATTICE_MODE: 'distributed',
      PORT: '8081',
      SERVICE_NAME: 'users',
      SERVICE_URLS:
        'gateway=http://127.0.0.1:8080,users=http://127.0.0.1:8081,todos=http://127.0.0.1:8101',
    });
  });

  test('configured service credentials are passed through, not generated', () => {
    const catalog = [entry('auth', 8081), entry('users', 8082)];
    const env = { AUTH_SERVICE_CREDENTIALS: 'users=from-the-secret-store-0123456789abcdef' };
    const specs = buildSpecs(catalog, { command: '/bin/node24', env, rootDir: '/repo' });
    assert.equal(specs[1]!.env?.SERVICE_CLIENT_SECRET, undefined);
    assert.equal(specs[0]!.env?.AUTH_SERVICE_CREDENTIALS, env.AUTH_SERVICE_CREDENTIALS);
  });
});
