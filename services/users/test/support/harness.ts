import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import {
  type CloudEvent,
  type Database,
  EmbeddedBus,
  type ServiceInstance,
} from '@lattice/platform';
import {
  buildTestService,
  createSigningKey,
  type DatabaseKind,
  eventually,
  needs,
  outboxRows,
  type SigningKey,
  signAccessToken,
  testTokenIssuer,
  watchBus as watchKitBus,
} from '@lattice/platform/testing';
import { sql } from 'kysely';
import { service } from '../../src/app.ts';
import type { UsersConfigProperties } from '../../src/config.ts';
import type { UsersDb } from '../../src/data/schema.ts';
import { applyUserRegistered } from '../../src/events/user-registered.ts';

/** The service and its own event bus: tests publish to it and watch what it publishes. */
export type UsersService = ServiceInstance<UsersConfigProperties> & { bus: EmbeddedBus };

/** Each DB-backed file runs its behaviours on both databases; PostgreSQL only when it answers. */
export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

// Stands in for the auth service's signing key: the users service only ever sees its JWKS.
const signingKey = await createSigningKey();

export interface Caller {
  userId: string;
  tenantId: string;
  roles: string[];
}

/** Signs an access token the way the auth service does; `claims` overrides any claim. */
export function accessToken(
  caller: Caller,
  claims: Record<string, unknown> = {},
  key: SigningKey = signingKey,
): Promise<string> {
  return signAccessToken(key, caller, claims);
}

/**
 * One service per database per file, built in `before` and closed in `after` of the enclosing
 * describe: an in-memory PGlite costs seconds to create, so tests share it and use fresh tenants.
 */
export function sharedUsersService(kind: DatabaseKind): () => UsersService {
  const cleanups: Array<() => unknown> = [];
  let instance: UsersService | undefined;
  before(async () => {
    const jwks = await testTokenIssuer({ key: signingKey });
    cleanups.push(() => jwks.close());
    // A bus of its own: services built in one process would otherwise share the process's bus,
    // and the pglite and postgres instances would compete for each other's events. Retries are
    // quick so a poisoned event reaches the dead letters within a test.
    const bus = new EmbeddedBus({ retry: { baseMs: 20, maxMs: 100 } });
    cleanups.push(() => bus.close());
    const collector = { after: (fn: unknown) => void cleanups.push(fn as () => unknown) };
    const built = await buildTestService(collector as never, service, {
      db: kind,
      embeddedBus: bus,
      env: { AUTH_JWKS_URL: jwks.jwksUrl },
    });
    instance = Object.assign(built, { bus });
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

/** What auth publishes on register (`lattice.auth.user.registered.v1`), contract data exactly. */
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
    },
  };
}

export interface TestUser extends Caller {
  token: string;
}

/** A registered user whose profile exists: the registration was applied (by the domain function). */
export async function addUser(
  svc: UsersService,
  options: { tenantId?: string; roles?: string[]; name?: string; time?: string } = {},
): Promise<TestUser> {
  const caller: Caller = {
    userId: randomUUID(),
    tenantId: options.tenantId ?? randomUUID(),
    roles: options.roles ?? ['member'],
  };
  await applyRegistration(svc, registeredEvent({ ...caller, ...options }));
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

/** The consumer's effect without the bus: the domain function, in a transaction of its own. */
export function applyRegistration(svc: UsersService, event: CloudEvent) {
  return database(svc).transaction((trx) => applyUserRegistered(trx, event));
}

/** Resolves once `consumer` (a group, e.g. `users_profiles`) has committed `eventId`'s effect. */
export async function processed(svc: UsersService, consumer: string, eventId: string) {
  await eventually(`event ${eventId} processed by ${consumer}`, async () => {
    const { rows } =
      await sql`SELECT 1 FROM inbox WHERE consumer = ${consumer} AND event_id = ${eventId}`.execute(
        database(svc).db,
      );
    return rows.length > 0 ? true : undefined;
  });
}

export { eventually };

export const watchBus = (svc: UsersService, subjects: string[]) => watchKitBus(svc.bus, subjects);

export const outboxEventsAbout = (svc: UsersService, aggregate: string) =>
  outboxRows(database(svc), aggregate);
