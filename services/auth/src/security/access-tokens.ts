import { randomUUID } from 'node:crypto';
import { createLocalJWKSet, type JWTPayload, jwtVerify, SignJWT } from 'jose';
import type { KeyRing } from './signing-keys.ts';

export interface AccessClaims {
  sub: string;
  tid: string;
  roles: string[];
  jti: string;
  exp: number;
}

export interface AccessTokenOptions {
  issuer: string;
  audience: string;
  ttlSeconds: number;
}

const ALGORITHM = 'EdDSA';
const TYPE = 'at+jwt';

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** Signs and verifies the platform's access tokens (RFC 9068 profile: typ at+jwt). */
export function accessTokens(ring: KeyRing, options: AccessTokenOptions) {
  const jwks = { keys: ring.keys.map((k) => k.publicJwk) };
  const keySet = createLocalJWKSet(jwks);

  return {
    jwks,
    ttlSeconds: options.ttlSeconds,

    async sign(subject: { userId: string; tenantId: string; roles: string[] }): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ tid: subject.tenantId, roles: subject.roles })
        .setProtectedHeader({ alg: ALGORITHM, typ: TYPE, kid: ring.signing.kid })
        .setIssuer(options.issuer)
        .setAudience(options.audience)
        .setSubject(subject.userId)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + options.ttlSeconds)
        .sign(ring.signing.privateKey);
    },

    /**
     * A service token: the caller is a service (`sub: service:<name>`), the audience is the one
     * service it may call, so a token stolen from one callee is useless at another.
     */
    async signForService(caller: string, callee: string, ttlSeconds: number): Promise<string> {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({})
        .setProtectedHeader({ alg: ALGORITHM, typ: TYPE, kid: ring.signing.kid })
        .setIssuer(options.issuer)
        .setAudience(`urn:lattice:service:${callee}`)
        .setSubject(`service:${caller}`)
        .setJti(randomUUID())
        .setIssuedAt(now)
        .setExpirationTime(now + ttlSeconds)
        .sign(ring.signing.privateKey);
    },

    /**
     * Resolves with the claims, or undefined for anything not issued by us and current: the
     * algorithm allow-list rules out `none` and HS256-with-the-public-key, the local key set
     * rules out unknown kids, and iss, aud, exp and typ are checked.
     */
    async verify(token: string): Promise<AccessClaims | undefined> {
      let payload: JWTPayload;
      try {
        const result = await jwtVerify(token, keySet, {
          algorithms: [ALGORITHM],
          issuer: options.issuer,
          audience: options.audience,
          typ: TYPE,
          requiredClaims: ['sub', 'tid', 'roles', 'jti', 'iat', 'exp'],
        });
        if (!result.protectedHeader.kid) return undefined;
        payload = result.payload;
      } catch {
        return undefined;
      }
      const { sub, tid, roles, jti, exp } = payload as Record<string, unknown>;
      if (typeof sub !== 'string' || typeof tid !== 'string' || typeof jti !== 'string')
        return undefined;
      if (!isStringArray(roles) || typeof exp !== 'number') return undefined;
      return { sub, tid, roles, jti, exp };
    },
  };
}

export type AccessTokens = ReturnType<typeof accessTokens>;
