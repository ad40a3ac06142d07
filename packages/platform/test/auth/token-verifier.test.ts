import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { createTokenVerifier, type TokenVerifierOptions } from '../../src/auth/token-verifier.ts';
import { AppError } from '../../src/errors.ts';
import { forgedTokens } from './forged-tokens.ts';
import { AUDIENCE, createSigningKey, ISSUER, type Issuer, startIssuer } from './issuer.ts';

function verifierFor(issuer: Pick<Issuer, 'jwksUrl'>, options: Partial<TokenVerifierOptions> = {}) {
  return createTokenVerifier({
    jwksUrl: () => issuer.jwksUrl,
    issuer: ISSUER,
    audience: AUDIENCE,
    ...options,
  });
}

/** Asserts `promise` rejects with the kit's AppError of `status`, and returns it. */
async function rejection(promise: Promise<unknown>, status: number): Promise<AppError> {
  const error = await promise.then(
    () => assert.fail(`expected a ${status}, but the token verified`),
    (e: unknown) => e,
  );
  assert.ok(error instanceof AppError, `an AppError, got ${String(error)}`);
  assert.equal(error.status, status, error.detail);
  return error;
}

async function refusingUrl(): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `http://127.0.0.1:${port}/jwks.json`;
}

describe('token verifier', () => {
  test('a token signed like the auth service verifies into the identity', async (t) => {
    const issuer = await startIssuer(t);
    const token = await issuer.sign(
      { userId: 'user-1', tenantId: 'tenant-1', roles: ['admin'] },
      { jti: 'jti-1' },
    );

    const identity = await verifierFor(issuer).verify(token);

    assert.deepEqual(identity, {
      userId: 'user-1',
      tenantId: 'tenant-1',
      roles: ['admin'],
      tokenId: 'jti-1',
      token,
    });
  });

  test('every forged, foreign or incomplete token is refused with 401 and www-authenticate', async (t) => {
    const issuer = await startIssuer(t);
    const verifier = verifierFor(issuer);
    // Warm: the verifier knows the key set, so each refusal is about the token itself.
    await verifier.verify(await issuer.sign());

    for (const [name, token] of await forgedTokens(issuer)) {
      const error = await rejection(verifier.verify(token), 401).catch((e: Error) => {
        throw new Error(`${name}: ${e.message}`);
      });
      assert.equal(error.code, 'UNAUTHORIZED', name);
      assert.match(String(error.headers?.['www-authenticate']), /^Bearer error="invalid_token"/);
    }
  });

  test('an expired token says it expired', async (t) => {
    const issuer = await startIssuer(t);
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.sign({}, { iat: now - 1_000, exp: now - 60 });

    const error = await rejection(verifierFor(issuer).verify(token), 401);

    assert.match(String(error.detail), /expired/);
  });

  test('a token expired by less than the clock tolerance still verifies', async (t) => {
    const issuer = await startIssuer(t);
    const now = Math.floor(Date.now() / 1000);
    const token = await issuer.sign({}, { iat: now - 900, exp: now - 2 });

    assert.ok(await verifierFor(issuer).verify(token));
  });

  test('concurrent first requests share one fetch of the key set', async (t) => {
    const issuer = await startIssuer(t);
    const verifier = verifierFor(issuer);
    const tokens = await Promise.all(Array.from({ length: 20 }, () => issuer.sign()));

    await Promise.all(tokens.map((token) => verifier.verify(token)));

    assert.equal(issuer.fetches, 1);
  });
});

describe('key rotation', () => {
  test('an unknown kid fetches the key set once more; a newly published key then verifies', async (t) => {
    const issuer = await startIssuer(t);
    const verifier = verifierFor(issuer, { cooldownMs: 0 });
    await verifier.verify(await issuer.sign());
    assert.equal(issuer.fetches, 1);

    const next = await createSigningKey();
    await rejection(verifier.verify(await issuer.sign({}, {}, { key: next })), 401);
    assert.equal(issuer.fetches, 2, 'refetched once for the unknown kid');

    issuer.publish(next);
    const identity = await verifier.verify(await issuer.sign({}, {}, { key: next }));
    assert.ok(identity.userId);
    assert.equal(issuer.fetches, 3);

    // Both keys are published: the old key's tokens verify from the cache, no fetch.
    await verifier.verify(await issuer.sign());
    assert.equal(issuer.fetches, 3);
  });

  test('forged kids do not hammer the auth service: no refetch within the cooldown', async (t) => {
    const issuer = await startIssuer(t);
    const verifier = verifierFor(issuer);
    await verifier.verify(await issuer.sign());

    const stranger = await createSigningKey();
    for (let i = 0; i < 10; i++) {
      await rejection(verifier.verify(await issuer.sign({}, {}, { key: stranger })), 401);
    }

    assert.equal(issuer.fetches, 1);
  });
});

describe('when the key set cannot be fetched', () => {
  test('a refused connection answers 503 with retry-after, not 401', async (t) => {
    const issuer = await startIssuer(t);
    const verifier = verifierFor({ jwksUrl: await refusingUrl() });

    const error = await rejection(verifier.verify(await issuer.sign()), 503);

    assert.equal(error.code, 'UNAVAILABLE');
    assert.equal(error.headers?.['retry-after'], '1');
  });

  test('a JWKS endpoint answering 500 gives 503', async (t) => {
    const issuer = await startIssuer(t);
    issuer.mode = 'error';

    await rejection(verifierFor(issuer).verify(await issuer.sign()), 503);
  });

  test('a JWKS endpoint that does not answer in time gives 503', async (t) => {
    const issuer = await startIssuer(t);
    issuer.mode = 'hang';

    await rejection(verifierFor(issuer, { timeoutMs: 100 }).verify(await issuer.sign()), 503);
  });

  test('a forged token is still 401 while the key set is down (no fetch needed to refuse it)', async (t) => {
    const issuer = await startIssuer(t);
    const verifier = verifierFor({ jwksUrl: await refusingUrl() });
    const [, none] = (await forgedTokens(issuer))[0]!;

    await rejection(verifier.verify(none), 401);
  });

  test('the last keys fetched keep verifying while the auth service is down; unknown kids get 503', async (t) => {
    const issuer = await startIssuer(t);
    // A key set that is always stale: every verification tries to fetch it again.
    const verifier = verifierFor(issuer, { cacheMaxAgeMs: 0 });
    await verifier.verify(await issuer.sign());

    issuer.mode = 'error';
    const identity = await verifier.verify(await issuer.sign());
    assert.ok(identity.userId);
    const fetchesWhenDown = issuer.fetches;
    await verifier.verify(await issuer.sign());
    assert.equal(issuer.fetches, fetchesWhenDown, 'no fetch again within the cooldown');

    const next = await createSigningKey();
    await rejection(verifier.verify(await issuer.sign({}, {}, { key: next })), 503);
  });

  test('once the auth service is back the key set is fetched again', async (t) => {
    const issuer = await startIssuer(t);
    issuer.mode = 'error';
    const verifier = verifierFor(issuer);
    await rejection(verifier.verify(await issuer.sign()), 503);

    issuer.mode = 'up';

    assert.ok(await verifier.verify(await issuer.sign()));
  });
});
