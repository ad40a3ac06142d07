import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import type { CloudEvent, Database, ServiceInstance } from '@lattice/platform';
import { buildTestService, type DatabaseKind, needs } from '@lattice/platform/testing';
import { calculateJwkThumbprint, exportJWK, SignJWT } from 'jose';
import { service } from '../../src/app.ts';
import type { UsersConfigProperties } from '../../src/config.ts';
import type { UsersDb } from '../../src/data/schema.ts';
import { applyUserRegistered } from '../../src/events/user-registered.ts';

export type UsersService = ServiceInstance<UsersConfigProperties>;

/** Each DB-backed file runs its behaviours on both databases; PostgreSQL only when it answers. */
export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

const ISSUER = 'urn:lattice:auth';
const AUDIENCE = 'urn:lattice:api';
// Stands in for the auth service's signing key: the users service only ever sees its JWKS.
const signingKey = generateKeyPairSync('ed25519');

export interface Caller {
  userId: string;
  tenantId: string;
  roles: string[];
}

/** Signs an access token the way the auth service does; `claims` overrides any claim. */
export async function accessToken(
  caller: Caller,
  claims: Record<string, unknown> = {},
  key = signingKey.privateKey,
): Promise<string> {
  const jwk = await exportJWK(signingKey.publicKey);
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ tid: caller.tenantId, roles: caller.roles, ...claims })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: await calculateJwkThumbprint(jwk) })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject(caller.userId)
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .sign(key);
}

/** A real HTTP server publishing the key set, as the auth service does, on a free port. */
async function serveJwks(): Promise<{ url: string; server: Server }> {
  const jwk = await exportJWK(signingKey.publicKey);
  const body = JSON.stringify({
    keys: [{ ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'EdDSA', use: 'sig' }],
  });
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/api/v1/auth/.well-known/jwks.json`, server };
}

/**
 * One service per database per file, built in `before` and closed in `after` of the enclosing
 * describe: an in-memory PGlite costs seconds to create, so tests share it and use fresh tenants.
 */
export function sharedUsersService(kind: DatabaseKind): () => UsersService {
  const cleanups: Array<() => unknown> = [];
  let instance: UsersService | undefined;
  before(async () => {
    const jwks = await serveJwks();
    cleanups.push(() => new Promise((resolve) => jwks.server.close(resolve)));
    const collector = { after: (fn: unknown) => void cleanups.push(fn as () => unknown) };
    instance = await buildTestService(collector as never, service, {
      db: kind,
      env: { AUTH_JWKS_URL: jwks.url },
    });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!instance) throw new Error('the users service is not built yet');
    return instance;
  };
}

/** The service's own database, typed: tests look at rows the API does not show. */
export function database(svc: UsersService): Database<UsersDb> {
  return svc.context.db;
}

export function uniqueEmail(label = 'user'): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

export interface Registration extends Caller {
  email?: string;
  name?: string;
  time?: string;
}

/** What auth writes to its outbox on register (`auth.user.registered.v1`). */
export function registeredEvent(user: Registration): CloudEvent {
  const time = user.time ?? new Date().toISOString();
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: '/lattice/auth',
    type: 'lattice.auth.user.registered.v1',
    time,
    subject: user.userId,
    tenantid: user.tenantId,
    datacontenttype: 'application/json',
    data: {
      userId: user.userId,
      tenantId: user.tenantId,
      email: user.email ?? uniqueEmail(),
      name: user.name ?? 'Test User',
      roles: user.roles,
      invited: false,
      registeredAt: time,
    },
  };
}

export interface TestUser extends Caller {
  token: string;
}

/** A registered user whose profile exists: the registration event was applied. */
export async function addUser(
  svc: UsersService,
  options: { tenantId?: string; roles?: string[]; name?: string; time?: string } = {},
): Promise<TestUser> {
  const caller: Caller = {
    userId: randomUUID(),
    tenantId: options.tenantId ?? randomUUID(),
    roles: options.roles ?? ['member'],
  };
  await applyUserRegistered(svc.context.db, registeredEvent({ ...caller, ...options }));
  return { ...caller, token: await accessToken(caller) };
}

/** A tenant's founding admin, in a fresh tenant. */
export function addTenantAdmin(svc: UsersService): Promise<TestUser> {
  return addUser(svc, { roles: ['admin'] });
}

export async function call(
  svc: UsersService,
  method: 'GET' | 'PATCH' | 'DELETE',
  path: string,
  options: { token?: string; payload?: object } = {},
) {
  return svc.app.inject({
    method,
    url: `/api/v1/users${path}`,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.payload ? { payload: options.payload } : {}),
  });
}

/** Outbox rows about `subject` (the CloudEvent subject: a user id). */
export async function outboxEventsAbout(svc: UsersService, subject: string) {
  const rows = await database(svc)
    .db.selectFrom('outbox')
    .selectAll()
    .where('event', '@>', JSON.stringify({ subject }))
    .execute();
  return rows.map((row) => ({
    ...row,
    // pg parses jsonb; PGlite may hand back the text.
    event: (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as CloudEvent,
  }));
}
