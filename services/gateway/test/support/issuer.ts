import { createHash, generateKeyPairSync, type KeyObject, randomUUID, sign } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';

type After = Pick<TestContext, 'after'>;

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

export interface TokenOptions {
  /** Merged over the usual claims; `undefined` removes one. */
  claims?: Record<string, unknown>;
  header?: Record<string, unknown>;
  /** Sign with a key the JWKS does not publish. */
  foreignKey?: boolean;
}

export interface TestIssuer {
  jwksUrl: string;
  /** How many times the gateway fetched the JWKS. */
  fetches: number;
  /** An access token like the auth service's: EdDSA, typ at+jwt, kid, iss, aud, sub, tid, roles, jti. */
  sign(options?: TokenOptions): string;
}

function ed25519Key() {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const { crv, kty, x } = publicKey.export({ format: 'jwk' });
  // RFC 7638 thumbprint, as the auth service names its keys.
  const kid = createHash('sha256').update(JSON.stringify({ crv, kty, x })).digest('base64url');
  return { privateKey, kid, jwk: { crv, kty, x, kid, alg: 'EdDSA', use: 'sig' } };
}

function compactJws(
  header: Record<string, unknown>,
  claims: Record<string, unknown>,
  key: KeyObject,
) {
  const input = `${b64url(header)}.${b64url(claims)}`;
  return `${input}.${sign(null, Buffer.from(input), key).toString('base64url')}`;
}

/**
 * Stands in for the auth service's key publication: a real JWKS server on port 0 and tokens
 * signed with its key (node:crypto only, so the gateway needs no JWT library of its own).
 */
export async function startIssuer(t: After): Promise<TestIssuer> {
  const key = ed25519Key();
  const foreign = ed25519Key();
  const server = createServer((_req, res) => {
    issuer.fetches++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys: [key.jwk] }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const issuer: TestIssuer = {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    fetches: 0,
    sign(options = {}) {
      const now = Math.floor(Date.now() / 1000);
      const claims: Record<string, unknown> = {
        iss: 'urn:lattice:auth',
        aud: 'urn:lattice:api',
        sub: randomUUID(),
        tid: randomUUID(),
        roles: ['member'],
        jti: randomUUID(),
        iat: now,
        exp: now + 900,
        ...options.claims,
      };
      for (const [name, value] of Object.entries(claims))
        if (value === undefined) delete claims[name];
      const signer = options.foreignKey ? foreign : key;
      const header = { alg: 'EdDSA', typ: 'at+jwt', kid: signer.kid, ...options.header };
      return compactJws(header, claims, signer.privateKey);
    },
  };
  return issuer;
}
