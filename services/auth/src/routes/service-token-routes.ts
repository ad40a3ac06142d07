import type { ServiceApp } from '@lattice/platform';
import { Type } from 'typebox';
import { issueServiceToken, parseServiceCredentials } from '../domain/service-tokens.ts';
import type { AccessTokens } from '../security/access-tokens.ts';

const ServiceName = Type.String({ pattern: '^[a-z][a-z0-9-]{0,62}$' });

const ServiceTokenBody = Type.Object({
  clientId: ServiceName,
  clientSecret: Type.String({ minLength: 1, maxLength: 512 }),
  audience: ServiceName,
});

const ServiceTokenReply = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer(),
});

export function registerServiceTokenRoutes(
  app: ServiceApp,
  options: { credentials: string; tokens: AccessTokens; ttlSeconds: number },
): void {
  const credentials = parseServiceCredentials(options.credentials);
  app.post(
    '/api/v1/auth/service-tokens',
    {
      schema: {
        tags: ['auth'],
        summary: 'A short-lived token for one service to call another (client credentials)',
        body: ServiceTokenBody,
        response: { 200: ServiceTokenReply },
      },
    },
    async (request) =>
      issueServiceToken(credentials, options.tokens, options.ttlSeconds, request.body),
  );
}
