import type { FastifyRequest } from 'fastify';
import { AuthErrors } from '../errors.ts';
import type { AccessClaims, AccessTokens } from '../security/access-tokens.ts';

const BEARER = /^Bearer[ ]+([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * The caller of a protected auth route, from its own Bearer access token. Until the gateway
 * forwards a signed identity, the auth service verifies tokens itself: it holds the keys.
 */
export async function authenticate(
  request: FastifyRequest,
  tokens: AccessTokens,
): Promise<AccessClaims> {
  const header = request.headers.authorization;
  const match = header ? BEARER.exec(header) : null;
  if (!match) {
    throw AuthErrors.invalidAccessToken('A Bearer access token is required', {
      headers: { 'www-authenticate': 'Bearer' },
    });
  }
  const claims = await tokens.verify(match[1]!);
  if (!claims) {
    throw AuthErrors.invalidAccessToken('The access token is invalid or expired', {
      headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    });
  }
  return claims;
}
