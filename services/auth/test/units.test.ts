import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { baseConfigSchema, ConfigError, extendConfig, loadConfig } from '@lattice/platform';
import { decodeProtectedHeader, exportPKCS8, generateKeyPair } from 'jose';
import { authConfig } from '../src/config.ts';
import { afterFailure, retryAfterSeconds } from '../src/domain/throttle-policy.ts';
import { accessTokens } from '../src/security/access-tokens.ts';
import { PasswordHasher } from '../src/security/passwords.ts';
import { generatePrivateKeyPem, loadKeyRing, parseKeyRing } from '../src/security/signing-keys.ts';

const quiet = { info() {} };
const schema = extendConfig(baseConfigSchema, authConfig);

function tempDir(t: { after(fn: () => void): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'lattice-auth-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('signing keys', () => {
  test('with several keys the last one signs and all are published', async () => {
    const [older, newer] = [generatePrivateKeyPem(), generatePrivateKeyPem()];
    const ring = await parseKeyRing(`${older}\n${newer}`);
    assert.equal(ring.keys.length, 2);
    assert.equal(ring.signing, ring.keys[1]);
    const tokens = accessTokens(ring, { issuer: 'i', audience: 'a', ttlSeconds: 60 });
    assert.deepEqual(
      tokens.jwks.keys.map((k) => k.kid),
      ring.keys.map((k) => k.kid),
    );
    const token = await tokens.sign({ userId: 'u', tenantId: 't', roles: ['member'] });
    assert.equal(decodeProtectedHeader(token).kid, ring.keys[1]!.kid);

    // A token signed before the rotation still verifies while the old key is published.
    const before = accessTokens(await parseKeyRing(older), {
      issuer: 'i',
      audience: 'a',
      ttlSeconds: 60,
    });
    const old = await before.sign({ userId: 'u', tenantId: 't', roles: ['member'] });
    assert.equal((await tokens.verify(old))?.sub, 'u');
  });

  test('a key that is not Ed25519 is a config error that shows no key material', async () => {
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    await assert.rejects(parseKeyRing(pem), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /JWT_PRIVATE_KEY: key 1 is ec; only Ed25519/);
      assert.ok(!error.message.includes(pem.split('\n')[1]!));
      return true;
    });
    await assert.rejects(parseKeyRing('not a pem'), /expected one or more PEM PKCS8/);
  });

  test('distributed mode without JWT_PRIVATE_KEY is a config error naming the key', async () => {
    const config = loadConfig('auth', schema, { LATTICE_MODE: 'distributed' });
    await assert.rejects(loadKeyRing(config, quiet), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /JWT_PRIVATE_KEY: is required in distributed mode/);
      return true;
    });
  });

  test('embedded mode generates a key once under DATA_DIR, readable by the owner only', async (t) => {
    const dir = tempDir(t);
    const config = loadConfig('auth', schema, { DATA_DIR: dir });
    const first = await loadKeyRing(config, quiet);
    const file = join(dir, 'auth', 'jwt-ed25519.pem');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const second = await loadKeyRing(config, quiet);
    assert.equal(second.signing.kid, first.signing.kid, 'the same key after a restart');
  });

  test('JWT_PRIVATE_KEY_FILE is read like JWT_PRIVATE_KEY, also with literal \\n', async (t) => {
    const dir = tempDir(t);
    const pem = generatePrivateKeyPem();
    const file = join(dir, 'key.pem');
    writeFileSync(file, pem);
    const fromFile = loadConfig('auth', schema, {
      LATTICE_MODE: 'distributed',
      JWT_PRIVATE_KEY_FILE: file,
    });
    const viaEnv = loadConfig('auth', schema, { JWT_PRIVATE_KEY: pem.replace(/\n/g, '\\n') });
    const a = await loadKeyRing(fromFile, quiet);
    const b = await loadKeyRing(viaEnv, quiet);
    assert.equal(a.signing.kid, b.signing.kid);
    assert.equal(readFileSync(file, 'utf8'), pem);
  });
});

describe('passwords', () => {
  const hasher = new PasswordHasher({ memoryKib: 19_456, passes: 2, parallelism: 1 });

  test('hashes are salted argon2id PHC strings that verify only the right password', async () => {
    const [a, b] = await Promise.all([
      hasher.hash('a long password'),
      hasher.hash('a long password'),
    ]);
    assert.match(a, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    assert.notEqual(a, b);
    assert.equal(await hasher.verify(a, 'a long password'), true);
    assert.equal(await hasher.verify(a, 'a long passworD'), false);
    assert.equal(await hasher.verify('garbage', 'a long password'), false);
  });

  test('a hash made with weaker parameters still verifies and asks to be rehashed', async () => {
    const stronger = new PasswordHasher({ memoryKib: 19_456, passes: 3, parallelism: 1 });
    const old = await hasher.hash('a long password');
    assert.equal(await stronger.verify(old, 'a long password'), true);
    assert.equal(stronger.needsRehash(old), true);
    assert.equal(hasher.needsRehash(old), false);
  });
});

describe('throttle policy', () => {
  const policy = {
    freeFailuresPerAccount: 3,
    freeFailuresPerIp: 10,
    baseSeconds: 1,
    maxSeconds: 8,
    memorySeconds: 60,
  };
  const at = (s: number) => new Date(1_000_000 + s * 1000);

  test('windows start after the free failures, double, and stop at the cap', () => {
    let state = { failures: 0, lastFailureAt: null, blockedUntil: null } as ReturnType<
      typeof afterFailure
    >;
    const windows: number[] = [];
    for (let i = 0; i < 7; i++) {
      state = afterFailure(state, 3, policy, at(i * 10));
      windows.push(retryAfterSeconds([state], at(i * 10)));
    }
    assert.deepEqual(windows, [0, 0, 1, 2, 4, 8, 8]);
  });

  test('failures are forgotten after a quiet period', () => {
    const state = { failures: 9, lastFailureAt: at(0), blockedUntil: at(8) };
    assert.equal(afterFailure(state, 3, policy, at(61)).failures, 1);
    assert.equal(afterFailure(state, 3, policy, at(59)).failures, 10);
  });
});
