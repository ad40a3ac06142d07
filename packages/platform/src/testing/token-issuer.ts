import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type CryptoKey,
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  type JWK,
  type JWTPayload,
  SignJWT,
} from 'jose';

/** The issuer and audience the auth service puts in every access token. */
export const TEST_TOKEN_ISSUER = 'urn:lattice:auth';
export const TEST_TOKEN_AUDIENCE = 'urn:lattice:api';
/** Where the auth service publishes its key set; the test issuer serves the same path. */
const JWKS_PATH = '/api/v1/auth/.well-known/jwks.json';

export interface SigningKey {
  kid: string;
  privateKey: CryptoKey;
  /** The public half as published in the JWKS (with kid, alg and use). */
  publicJwk: JWK;
}

/** An Ed25519 key named by its RFC 7638 thumbprint, as the auth service makes them. */
export async function createSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  return { kid, privateKey, publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' } };
}

export interface TestCaller {
  userId: string;
  tenantId: string;
  roles: string[];
}

export interface SignOptions {
  /** Sign with this key instead of the issuer's (e.g. one the JWKS does not publish). */
  key?: SigningKey;
  /** Merged over the protected header; `undefined` removes a member (alg stays EdDSA). */
  header?: Record<string, unknown>;
}

/**
 * Signs an access token the way the auth service does: EdDSA, typ at+jwt, kid, iss, aud, sub,
 * tid, roles, jti, iat, exp (15 minutes). A caller left out is a random member of a random
 * tenant; `claims` are merged over the defaults and `undefined` removes one.
 */
export async function signAccessToken(
  key: SigningKey,
  caller: Partial<TestCaller> = {},
  claims: Record<string, unknown> = {},
  options: Omit<SignOptions, 'key'> = {},
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const payload: Record<string, unknown> = {
    iss: TEST_TOKEN_ISSUER,
    aud: TEST_TOKEN_AUDIENCE,
    sub: caller.userId ?? randomUUID(),
    tid: caller.tenantId ?? randomUUID(),
    roles: caller.roles ?? ['member'],
    jti: randomUUID(),
    iat: now,
    exp: now + 900,
    ...claims,
  };
  for (const [name, value] of Object.entries(payload))
    if (value === undefined) delete payload[name];
  const header: Record<string, unknown> = {
    alg: 'EdDSA',
    typ: 'at+jwt',
    kid: key.kid,
    ...options.header,
  };
  for (const [name, value] of Object.entries(header)) if (value === undefined) delete header[name];
  return new SignJWT(payload as JWTPayload)
    .setProtectedHeader(header as { alg: string })
    .sign(key.privateKey);
}

export interface TestTokenIssuer {
  /** The URL of the published key set (a real HTTP server on 127.0.0.1, port 0). */
  jwksUrl: string;
  /** The key tokens are signed with by default, published in the JWKS. */
  key: SigningKey;
  /** How many times the JWKS was fetched. */
  fetches: number;
  /** `up`: serve the JWKS; `error`: answer 500; `hang`: never answer. */
  mode: 'up' | 'error' | 'hang';
  /** Publishes another key alongside (rotation). */
  publish(key: SigningKey): void;
  /** An access token for `caller`, like the auth service's (see `signAccessToken`). */
  sign(
    caller?: Partial<TestCaller>,
    claims?: Record<string, unknown>,
    options?: SignOptions,
  ): Promise<string>;
  close(): Promise<void>;
}

/**
 * Stands in for the auth service: an Ed25519 key (or the one given), its JWKS served on a real
 * local HTTP server, and access tokens signed with it. Close it when done.
 */
export async function testTokenIssuer(
  options: { key?: SigningKey } = {},
): Promise<TestTokenIssuer> {
  const key = options.key ?? (await createSigningKey());
  const keys: JWK[] = [key.publicJwk];
  const server = createServer((request, response) => {
    issuer.fetches++;
    if (issuer.mode === 'hang') return;
    if (issuer.mode === 'error' || request.url !== JWKS_PATH) {
      response.writeHead(issuer.mode === 'error' ? 500 : 404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const issuer: TestTokenIssuer = {
    jwksUrl: `http://127.0.0.1:${port}${JWKS_PATH}`,
    key,
    fetches: 0,
    mode: 'up',
    publish: (next) => {
      keys.push(next.publicJwk);
    },
    sign: (caller, claims, signOptions = {}) =>
      signAccessToken(signOptions.key ?? key, caller, claims, signOptions),
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return issuer;
}
