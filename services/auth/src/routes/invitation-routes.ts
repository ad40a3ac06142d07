import type { ServiceApp } from '@lattice/platform';
import type { AuthDeps } from '../domain/deps.ts';
import { inviteToTenant } from '../domain/invitations.ts';
import { authenticate } from './authenticate.ts';
import { InvitationBody, InvitationReply, JwksReply } from './schemas.ts';

export function registerInvitationRoutes(app: ServiceApp, deps: AuthDeps): void {
  app.post(
    '/api/v1/auth/invitations',
    {
      schema: {
        tags: ['auth'],
        summary: "Invite someone into the caller's tenant (tenant admin)",
        // Not `security`: the kit's OpenAPI document declares no securitySchemes to refer to.
        description: 'Requires `Authorization: Bearer <accessToken>` of an admin of the tenant',
        body: InvitationBody,
        response: { 201: InvitationReply },
      },
    },
    async (request, reply) => {
      const caller = await authenticate(request, deps.tokens);
      return reply.code(201).send(await inviteToTenant(deps, caller, request.body));
    },
  );
}

export function registerJwksRoute(app: ServiceApp, deps: AuthDeps): void {
  app.get(
    '/api/v1/auth/.well-known/jwks.json',
    {
      schema: {
        tags: ['auth'],
        summary: 'Public keys that verify access tokens',
        response: { 200: JwksReply },
      },
    },
    async (_request, reply) =>
      // Short enough that a rotated key reaches verifiers well within an access token's life.
      reply.header('cache-control', 'public, max-age=300').send(deps.tokens.jwks),
  );
}
