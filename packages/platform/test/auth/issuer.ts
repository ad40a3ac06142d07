import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

type After = Pick<TestContext, 'after'>;

export const ISSUER = 'urn:lattice:auth';
export const AUDIENCE = 'urn:lattice:api';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
}

/** An Ed25519 key named by its RFC 7638 thumbprint, as the auth service makes them. */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export interface TokenOptions {
  key?: SigningKey;
  /** Replaces the protected header (alg stays EdDSA: jose signs with the key's algorithm). */
  header?: Record<string, unknown>;
  /** Claims merged over the defaults; `undefined` removes one. */
  claims?: Record<string, unknown>;
}

/** Signs an access token the way the auth service does (typ at+jwt, kid, the usual claims). */
export async function signToken(key: SigningKey, options: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: randomUUID(),
    tid: randomUUID(),
    roles: ['member'],
    jti: randomUUID(),
    iat: now,
    exp: now + 900,
    ...options.claims,
  };
  for (const [name, value] of Object.entries(claims)) if (value === undefined) delete claims[name];
  return new SignJWT(claims as JWTPayload)
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: key.kid, ...options.header })
    .sign(key.privateKey);
}

export interface Issuer {
  jwksUrl: string;
  key: SigningKey;
  /** How many times the JWKS was fetched. */
  fetches: number;
  /** Publishes another key (rotation). */
  publish(key: SigningKey): void;
  /** `up`: serve the JWKS; `error`: answer 500; `hang`: never answer. */
  mode: 'up' | 'error' | 'hang';
  sign(options?: TokenOptions): Promise<string>;
  server: Server;
}

/** A real HTTP server on port 0 publishing a JWKS like the auth service; closed after the test. */
export async function startIssuer(t: After): Promise<Issuer> {
  const key = await createSigningKey();
  const keys: JWK[] = [key.publicJwk];
  const server = createServer((req, res) => {
    issuer.fetches++;
    if (issuer.mode === 'hang') return;
    if (issuer.mode === 'error' || req.url !== '/jwks.json') {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  const issuer: Issuer = {
    jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`,
    key,
    fetches: 0,
    mode: 'up',
    publish: (next) => {
      keys.push(next.publicJwk);
    },
    sign: (options = {}) => signToken(options.key ?? key, options),
    server,
  };
  return issuer;
}
