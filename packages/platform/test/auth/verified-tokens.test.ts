import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Identity } from '../../src/auth/identity.ts';
import type { TokenVerifier } from '../../src/auth/token-verifier.ts';
import { createTokenVerifier } from '../../src/auth/token-verifier.ts';
import { rememberVerifiedTokens } from '../../src/auth/verified-tokens.ts';
import { AppError } from '../../src/errors.ts';
import { AUDIENCE, ISSUER, startIssuer } from './issuer.ts';

const now = () => Math.floor(Date.now() / 1000);
const token = (exp: number, n: number) =>
  `h.${Buffer.from(JSON.stringify({ exp, n })).toString('base64url')}.sig${n}`;

function counting(): TokenVerifier & { calls: number } {
  const verifier = {
    calls: 0,
    async verify(raw: string): Promise<Identity> {
      verifier.calls++;
      return { userId: 'u', tenantId: 't', roles: [], tokenId: raw, token: raw };
    },
  };
  return verifier;
}

describe('verified-token memory', () => {
  test('a token is verified once until it expires; another token is verified on its own', async () => {
    const verifier = counting();
    const remembering = rememberVerifiedTokens(verifier, 100);
    const a = token(now() + 600, 1);
    const b = token(now() + 600, 2);

    for (let i = 0; i < 5; i++) assert.equal((await remembering.verify(a)).tokenId, a);
    assert.equal((await remembering.verify(b)).tokenId, b);

    assert.equal(verifier.calls, 2);
  });

  test('an expired token is verified again (and so refused by the verifier)', async () => {
    const verifier = counting();
    const remembering = rememberVerifiedTokens(verifier, 100);
    const expired = token(now() - 1, 3);

    await remembering.verify(expired);
    await remembering.verify(expired);

    assert.equal(verifier.calls, 2);
  });

  test('the least recently used token is forgotten first', async () => {
    const verifier = counting();
    const remembering = rememberVerifiedTokens(verifier, 2);
    const [a, b, c] = [1, 2, 3].map((n) => token(now() + 600, n)) as [string, string, string];

    for (const t of [a, b, a, c, a, b]) await remembering.verify(t);

    assert.equal(verifier.calls, 4, 'a stayed (used recently), b was forgotten');
  });

  test('size 0 verifies every request', async () => {
    const verifier = counting();
    const remembering = rememberVerifiedTokens(verifier, 0);
    const a = token(now() + 600, 1);

    await remembering.verify(a);
    await remembering.verify(a);

    assert.equal(verifier.calls, 2);
  });

  test('a remembered token does not vouch for a copy with another signature, nor is a failure remembered', async (t) => {
    const issuer = await startIssuer(t);
    const remembering = rememberVerifiedTokens(
      createTokenVerifier({ jwksUrl: () => issuer.jwksUrl, issuer: ISSUER, audience: AUDIENCE }),
      100,
    );
    const real = await issuer.sign({ userId: 'user-1', tenantId: 'tenant-1', roles: ['member'] });
    assert.equal((await remembering.verify(real)).userId, 'user-1');

    const signature = real.slice(real.lastIndexOf('.') + 1);
    const flipped = signature[5] === 'A' ? 'B' : 'A';
    const forged = `${real.slice(0, real.lastIndexOf('.') + 1)}${signature.slice(0, 5)}${flipped}${signature.slice(6)}`;
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await remembering.verify(forged).then(
        () => assert.fail('a forged signature verified'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof AppError && error.status === 401, String(error));
    }
    assert.equal((await remembering.verify(real)).userId, 'user-1');
  });
});
