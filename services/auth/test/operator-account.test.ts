import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createService } from '@lattice/platform';
import { createTestDatabase } from '@lattice/platform/testing';
import { service } from '../src/app.ts';
import { PASSWORD, TEST_KEY_PEM } from './support/harness.ts';

/** Builds the service while capturing what it prints on the terminal. */
async function buildCapturing(
  database: Awaited<ReturnType<typeof createTestDatabase>>['database'],
) {
  let printed = '';
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    printed += String(chunk);
    return true;
  }) as typeof process.stdout.write;
  try {
    const instance = await createService(service, {
      database,
      env: { JWT_PRIVATE_KEY: TEST_KEY_PEM, LOG_LEVEL: 'silent', LATTICE_MODE: 'embedded' },
    });
    return { instance, printed };
  } finally {
    process.stdout.write = write;
  }
}

test('embedded mode without configured operators creates one platform-admin at first start, and only once', async () => {
  const testDatabase = await createTestDatabase('auth', 'pglite');
  try {
    const first = await buildCapturing(testDatabase.database);
    const password = /password: (\S+)/.exec(first.printed)?.[1];
    assert.ok(password, `no password printed:\n${first.printed}`);
    assert.match(first.printed, /operator@lattice\.local/);

    const login = await first.instance.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'operator@lattice.local', password },
    });
    assert.equal(login.statusCode, 200);
    assert.ok(login.json().user.roles.includes('platform-admin'));
    assert.notEqual(password, PASSWORD);
    await first.instance.close();

    const second = await buildCapturing(testDatabase.database);
    assert.doesNotMatch(
      second.printed,
      /password:/,
      'the operator is created, and its password shown, once',
    );
    await second.instance.close();
  } finally {
    await testDatabase.cleanup();
  }
});
