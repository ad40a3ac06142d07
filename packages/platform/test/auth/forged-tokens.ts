import { createHmac, createPublicKey, randomBytes } from 'node:crypto';
import type { Issuer } from './issuer.ts';
import { createSigningKey } from './issuer.ts';

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
}

function headerOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[0] ?? '', 'base64url').toString());
}

/** A compact JWS with an HMAC-SHA256 signature made with `secret`. */
function hs256(header: Record<string, unknown>, claims: Record<string, unknown>, secret: Buffer) {
  const input = `${b64url({ ...header, alg: 'HS256' })}.${b64url(claims)}`;
  return `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
}

/**
 * Every token an attacker could present, each named, none of which may verify. Built from a
 * genuine token so that each differs from a valid one in exactly the way its name says.
 */
export async function forgedTokens(issuer: Issuer): Promise<Array<[string, string]>> {
  const genuine = await issuer.sign();
  const header = headerOf(genuine);
  const claims = claimsOf(genuine);
  const publicKey = createPublicKey({ key: issuer.key.publicJwk as never, format: 'jwk' });
  const publicPem = Buffer.from(publicKey.export({ type: 'spki', format: 'pem' }) as string);
  const rawPublic = Buffer.from(String(issuer.key.publicJwk.x), 'base64url');
  const now = Math.floor(Date.now() / 1000);
  const [head, , signature] = genuine.split('.');
  const stranger = await createSigningKey();

  return [
    ['alg none, no signature', `${b64url({ ...header, alg: 'none' })}.${b64url(claims)}.`],
    [
      'alg none with the genuine signature',
      `${b64url({ ...header, alg: 'none' })}.${b64url(claims)}.${signature}`,
    ],
    ['HS256 keyed with the public key bytes', hs256(header, claims, rawPublic)],
    ['HS256 keyed with the public key PEM', hs256(header, claims, publicPem)],
    [
      'HS256 keyed with the public JWK',
      hs256(header, claims, Buffer.from(JSON.stringify(issuer.key.publicJwk))),
    ],
    ['wrong iss', await issuer.sign({}, { iss: 'urn:evil:auth' })],
    ['wrong aud', await issuer.sign({}, { aud: 'urn:lattice:other' })],
    ['expired', await issuer.sign({}, { iat: now - 1_000, exp: now - 60 })],
    ['no exp', await issuer.sign({}, { exp: undefined })],
    [
      'tampered payload (roles raised)',
      `${head}.${b64url({ ...claims, roles: ['admin', 'platform-admin'] })}.${signature}`,
    ],
    [
      'tampered payload (another tenant)',
      `${head}.${b64url({ ...claims, tid: 'another-tenant' })}.${signature}`,
    ],
    ['signed by an unknown key', await issuer.sign({}, {}, { key: stranger })],
    [
      'unknown key claiming the genuine kid',
      await issuer.sign({}, {}, { key: stranger, header: { kid: issuer.key.kid } }),
    ],
    ['no kid', await issuer.sign({}, {}, { header: { kid: undefined } })],
    ['no typ', await issuer.sign({}, {}, { header: { typ: undefined } })],
    [
      'typ JWT (an ID token, not an access token)',
      await issuer.sign({}, {}, { header: { typ: 'JWT' } }),
    ],
    ['no tid', await issuer.sign({}, { tid: undefined })],
    ['no roles', await issuer.sign({}, { roles: undefined })],
    ['roles not a list', await issuer.sign({}, { roles: 'admin' })],
    ['no sub', await issuer.sign({}, { sub: undefined })],
    ['no jti', await issuer.sign({}, { jti: undefined })],
    ['an opaque refresh token', randomBytes(32).toString('base64url')],
    ['garbage with dots', 'a.b.c'],
  ];
}
