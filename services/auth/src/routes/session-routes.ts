import type { ServiceApp } from '@lattice/platform';
import type { FastifyRequest } from 'fastify';
import type { AuthDeps } from '../domain/deps.ts';
import { login } from '../domain/login.ts';
import { register } from '../domain/register.ts';
import { endSession, rotateRefreshToken } from '../domain/sessions.ts';
import { LoginBody, RefreshBody, RegisterBody, SessionReply } from './schemas.ts';

const tags = ['auth'];

export function registerSessionRoutes(
  app: ServiceApp,
  deps: AuthDeps,
  clientIp: (request: FastifyRequest) => string,
): void {
  app.post(
    '/api/v1/auth/register',
    {
      schema: {
        tags,
        summary: 'Create an account: a new tenant, or join one with an invitation',
        body: RegisterBody,
        response: { 201: SessionReply },
      },
    },
    async (request, reply) => {
      const traceparent = request.headers.traceparent;
      const session = await register(deps, {
        ...request.body,
        traceparent: typeof traceparent === 'string' ? traceparent : undefined,
      });
      return reply.code(201).send(session);
    },
  );

  app.post(
    '/api/v1/auth/login',
    {
      schema: {
        tags,
        summary: 'Log in with email and password',
        body: LoginBody,
        response: { 200: SessionReply },
      },
    },
    async (request) => login(deps, { ...request.body, clientIp: clientIp(request) }),
  );

  app.post(
    '/api/v1/auth/refresh',
    {
      schema: {
        tags,
        summary: 'Exchange a refresh token for a new pair (the old one is spent)',
        body: RefreshBody,
        response: { 200: SessionReply },
      },
    },
    async (request) => rotateRefreshToken(deps, request.body.refreshToken),
  );

  app.post(
    '/api/v1/auth/logout',
    { schema: { tags, summary: 'End the session of a refresh token', body: RefreshBody } },
    async (request, reply) => {
      await endSession(deps, request.body.refreshToken);
      return reply.code(204).send();
    },
  );
}
