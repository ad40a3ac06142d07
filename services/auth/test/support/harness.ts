import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import { type CloudEvent, EmbeddedBus, type Env, type ServiceInstance } from '@lattice/platform';
import {
  buildTestService,
  type DatabaseKind,
  eventually,
  outboxRows as kitOutboxRows,
  needs,
  watchBus as watchKitBus,
} from '@lattice/platform/testing';
import { createLocalJWKSet, type JWTPayload, jwtVerify } from 'jose';
import { sql } from 'kysely';
import { service } from '../../src/app.ts';
import type { AuthConfigProperties } from '../../src/config.ts';
import { generatePrivateKeyPem } from '../../src/security/signing-keys.ts';

/** The service and its own event bus: tests publish to it and watch what it publishes. */
export type AuthService = ServiceInstance<AuthConfigProperties> & { bus: EmbeddedBus };

/** Each DB-backed file runs its behaviours on both databases; PostgreSQL only when it answers. */
export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

export const ISSUER = 'urn:lattice:auth';
export const AUDIENCE = 'urn:lattice:api';
export const TEST_KEY_PEM = generatePrivateKeyPem();

/**
 * One service per database per file, built in `before` and closed in `after` of the enclosing
 * describe: an in-memory PGlite costs seconds to create, so tests share it and use unique emails.
 */
export function sharedAuthService(kind: DatabaseKind, env: Env = {}): () => AuthService {
  const cleanups: Array<() => unknown> = [];
  let instance: AuthService | undefined;
  before(async () => {
    // A bus of its own: services built in one process would otherwise share the process's bus,
    // and the pglite and postgres instances would compete for each other's events. Retries are
    // quick so a poisoned event reaches the dead letters within a test.
    const bus = new EmbeddedBus({ retry: { baseMs: 20, maxMs: 100 } });
    cleanups.push(() => bus.close());
    const collector = { after: (fn: unknown) => void cleanups.push(fn as () => unknown) };
    const built = await buildTestService(collector as never, service, {
      db: kind,
      embeddedBus: bus,
      env: { JWT_PRIVATE_KEY: TEST_KEY_PEM, AUTH_EMBEDDED_OPERATOR: 'false', ...env },
    });
    instance = Object.assign(built, { bus });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!instance) throw new Error('the auth service is not built yet');
    return instance;
  };
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

export function uniqueIp(): string {
  const b = randomBytes(3);
  return `10.${b[0]}.${b[1]}.${b[2]}`;
}

export const PASSWORD = 'correct horse battery';

interface CallOptions {
  ip?: string;
  token?: string;
}

export async function post(
  svc: AuthService,
  path: string,
  body: unknown,
  options: CallOptions = {},
) {
  const headers: Record<string, string> = {};
  // 127.0.0.1 (inject's default peer) is a trusted proxy, so this is the client IP seen.
  headers['x-forwarded-for'] = options.ip ?? uniqueIp();
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return svc.app.inject({
    method: 'POST',
    url: `/api/v1/auth${path}`,
    payload: body as object,
    headers,
  });
}

export interface SessionBody {
  user: { id: string; email: string; name: string; tenantId: string; roles: string[] };
  accessToken: string;
  refreshToken: string;
  tokenType: string;
  expiresIn: number;
}

export async function registerUser(
  svc: AuthService,
  overrides: Record<string, unknown> = {},
): Promise<SessionBody> {
  const response = await post(svc, '/register', {
    email: uniqueEmail(),
    password: PASSWORD,
    name: 'Test User',
    ...overrides,
  });
  if (response.statusCode !== 201)
    throw new Error(`register answered ${response.statusCode}: ${response.body}`);
  return response.json();
}

/** Verifies the way any other service will: with the published JWKS only. */
export async function verifyWithJwks(svc: AuthService, token: string) {
  const jwks = (await svc.app.inject({ url: '/api/v1/auth/.well-known/jwks.json' })).json();
  return jwtVerify<JWTPayload & { tid: string; roles: string[] }>(token, createLocalJWKSet(jwks), {
    issuer: ISSUER,
    audience: AUDIENCE,
    algorithms: ['EdDSA'],
    typ: 'at+jwt',
  });
}

/** The problem body without the members that differ per request. */
export function stableProblem(body: string) {
  const { traceId: _traceId, instance: _instance, ...rest } = JSON.parse(body);
  return rest;
}

export { eventually };

export const watchBus = (svc: AuthService, subjects: string[]) => watchKitBus(svc.bus, subjects);

export const outboxRows = (svc: AuthService, aggregate: string) =>
  kitOutboxRows(svc.context.db, aggregate);
