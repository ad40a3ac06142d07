import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Type } from 'typebox';
import { baseConfigSchema } from '../src/config/base-config.ts';
import { ConfigError, extendConfig, loadConfig, secret } from '../src/config/load-config.ts';
import { createService } from '../src/create-service.ts';
import { notesService } from './fixtures/notes/notes-service.ts';
import { notesWithoutDatabase, tempDir } from './support.ts';

const schema = extendConfig(baseConfigSchema, notesService.config!);

function configError(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${error}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

function keysOf(error: ConfigError): string[] {
  return error.problems.map((p) => p.key).sort();
}

async function secretFile(content: string): Promise<string> {
  const path = join(await tempDir('secret'), 'value');
  await writeFile(path, content);
  return path;
}

describe('config', () => {
  test('an empty environment gets every default of the base and service schema', () => {
    const config = loadConfig('notes', schema, {});
    assert.equal(config.LATTICE_MODE, 'embedded');
    assert.equal(config.HOST, '127.0.0.1');
    assert.equal(config.PORT, 0);
    assert.equal(config.LOG_LEVEL, 'info');
    assert.equal(config.BODY_LIMIT_BYTES, 1_048_576);
    assert.equal(config.SHUTDOWN_DRAIN_DELAY_MS, 0);
    assert.equal(config.NOTES_GREETING, 'hello');
    assert.equal(config.NOTES_API_KEY, '');
    assert.equal(config.NOTES_MAX, 10);
  });

  test('numbers arrive as text and are converted; an empty variable means the default', () => {
    const config = loadConfig('notes', schema, { NOTES_MAX: '25', PORT: '', LOG_LEVEL: 'debug' });
    assert.equal(config.NOTES_MAX, 25);
    assert.equal(config.PORT, 0);
    assert.equal(config.LOG_LEVEL, 'debug');
  });

  test('a config value of the wrong type stops the start with the key and value named', () => {
    const error = configError(() => loadConfig('notes', schema, { NOTES_MAX: 'many' }));
    assert.deepEqual(error.problems, [
      { key: 'NOTES_MAX', message: 'must be integer, got "many"' },
    ]);
    assert.match(error.message, /^Invalid configuration for notes:\n {2}- NOTES_MAX: /);
  });

  test('a fractional value for an integer key is refused, not truncated', () => {
    const error = configError(() => loadConfig('notes', schema, { NOTES_MAX: '2.5' }));
    assert.deepEqual(keysOf(error), ['NOTES_MAX']);
    assert.match(error.message, /NOTES_MAX: must be integer, got "2.5"/);
  });

  test('a value outside its enum lists the allowed values', () => {
    const error = configError(() => loadConfig('notes', schema, { LOG_LEVEL: 'loud' }));
    assert.deepEqual(error.problems, [
      {
        key: 'LOG_LEVEL',
        message: 'must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
      },
    ]);
  });

  test('every bad key is named at once, however many there are', () => {
    const error = configError(() =>
      loadConfig('notes', schema, {
        LATTICE_MODE: 'cloud',
        LOG_LEVEL: 'loud',
        PORT: '70000',
        BODY_LIMIT_BYTES: '0',
        DATABASE_POOL_MAX: 'lots',
        NOTES_MAX: 'many',
      }),
    );
    assert.deepEqual(keysOf(error), [
      'BODY_LIMIT_BYTES',
      'DATABASE_POOL_MAX',
      'LATTICE_MODE',
      'LOG_LEVEL',
      'NOTES_MAX',
      'PORT',
    ]);
    for (const key of keysOf(error)) assert.match(error.message, new RegExp(`- ${key}: `));
  });

  test('each missing required key is named', () => {
    const required = Type.Object({ A: Type.String(), B: Type.Integer(), C: Type.String() });
    const error = configError(() => loadConfig('svc', required, { C: 'set' }));
    assert.deepEqual(error.problems, [
      { key: 'A', message: 'is required' },
      { key: 'B', message: 'is required' },
    ]);
  });

  test('a secret is read from the file named by its _FILE variable, trailing newline trimmed', async () => {
    const path = await secretFile('s3cr3t-from-file\n');
    const config = loadConfig('notes', schema, { NOTES_API_KEY_FILE: path });
    assert.equal(config.NOTES_API_KEY, 's3cr3t-from-file');
  });

  test('a secret file with a CRLF ending loses only that ending', async () => {
    const path = await secretFile('  spaced value  \r\n');
    const config = loadConfig('notes', schema, { NOTES_API_KEY_FILE: path });
    assert.equal(config.NOTES_API_KEY, '  spaced value  ');
  });

  test('a _FILE variable for a key that is not secret is refused', async () => {
    const path = await secretFile('from a file\n');
    const error = configError(() => loadConfig('notes', schema, { NOTES_GREETING_FILE: path }));
    assert.deepEqual(error.problems, [
      {
        key: 'NOTES_GREETING_FILE',
        message: 'NOTES_GREETING is not a secret and cannot be read from a file',
      },
    ]);
  });

  test('setting both a secret and its _FILE is refused without showing either value', async () => {
    const path = await secretFile('value-in-the-file\n');
    const error = configError(() =>
      loadConfig('notes', schema, { NOTES_API_KEY: 'value-in-env', NOTES_API_KEY_FILE: path }),
    );
    assert.deepEqual(keysOf(error), ['NOTES_API_KEY']);
    assert.match(error.message, /set either NOTES_API_KEY or NOTES_API_KEY_FILE, not both/);
    assert.doesNotMatch(error.message, /value-in-env|value-in-the-file/);
  });

  test('an unreadable secret file names the _FILE key and the reason', () => {
    const error = configError(() =>
      loadConfig('notes', schema, { NOTES_API_KEY_FILE: '/nonexistent/lattice/secret' }),
    );
    assert.deepEqual(keysOf(error), ['NOTES_API_KEY_FILE']);
    assert.match(
      error.message,
      /NOTES_API_KEY_FILE: points to \/nonexistent\/lattice\/secret.*ENOENT/,
    );
  });

  test("an invalid secret's value never appears in the error, from env or from file", async () => {
    const strict = Type.Object({
      TOKEN: secret(Type.String({ minLength: 32, description: 'A long token' })),
    });
    const fromEnv = configError(() => loadConfig('svc', strict, { TOKEN: 'short-hush-hush' }));
    assert.deepEqual(keysOf(fromEnv), ['TOKEN']);
    assert.match(fromEnv.message, /TOKEN: .*got \(secret\)/);
    assert.doesNotMatch(fromEnv.message, /hush/);
    assert.doesNotMatch(JSON.stringify(fromEnv.problems), /hush/);

    const path = await secretFile('file-hush-hush\n');
    const fromFile = configError(() => loadConfig('svc', strict, { TOKEN_FILE: path }));
    assert.deepEqual(keysOf(fromFile), ['TOKEN']);
    assert.doesNotMatch(fromFile.message, /hush/);
  });

  test('createService takes its config from the env it is given, secrets from files', async () => {
    const path = await secretFile('api-key-from-file\n');
    const service = await createService(notesWithoutDatabase, {
      env: {
        LOG_LEVEL: 'silent',
        NOTES_GREETING: 'bonjour',
        NOTES_MAX: '3',
        NOTES_API_KEY_FILE: path,
      },
    });
    try {
      assert.equal(service.config.NOTES_API_KEY, 'api-key-from-file');
      assert.equal(service.config.NOTES_MAX, 3);
      const response = await service.app.inject({ url: '/greeting' });
      assert.deepEqual(response.json(), { greeting: 'bonjour' });
    } finally {
      await service.close();
    }
  });

  test('a bad config stops createService before any database is touched', async () => {
    // Were the database opened first, this would fail with ECONNREFUSED instead.
    await assert.rejects(
      createService(notesService, {
        env: {
          LATTICE_MODE: 'distributed',
          POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/postgres',
          NOTES_MAX: 'many',
        },
      }),
      (error: unknown) => {
        assert.ok(error instanceof ConfigError);
        assert.deepEqual(keysOf(error), ['NOTES_MAX']);
        return true;
      },
    );
  });
});
