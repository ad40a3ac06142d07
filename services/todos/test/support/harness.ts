import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
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
  needs,
  type SigningKey,
  signAccessToken,
  type TestTokenIssuer,
  testTokenIssuer,
} from '@lattice/platform/testing';
import { service } from '../../src/app.ts';
import type { TodosConfigProperties } from '../../src/config.ts';
import type { TodosDb } from '../../src/data/schema.ts';

export type TodosService = ServiceInstance<TodosConfigProperties> & {
  /** The in-process bus the service publishes to and consumes from. */
  bus: EmbeddedBus;
  testDatabase?: { name?: string };
};

/** Each behaviour runs on both databases; PostgreSQL only when it answers. */
export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

// Stands in for the auth service's signing key: the todos service only ever sees its JWKS.
const signingKey = await createSigningKey();

export interface Caller {
  userId: string;
  tenantId: string;
  roles: string[];
}

export interface TestUser extends Caller {
  token: string;
}

/** Signs an access token the way the auth service does; `claims` overrides any claim. */
export function accessToken(
  caller: Caller,
  claims: Record<string, unknown> = {},
  key: SigningKey = signingKey,
): Promise<string> {
  return signAccessToken(key, caller, claims);
}

/** A user with a token; a fresh tenant unless one is given, so tests never see each other's data. */
export async function newUser(options: { tenantId?: string; userId?: string } = {}) {
  const caller: Caller = {
    userId: options.userId ?? randomUUID(),
    tenantId: options.tenantId ?? randomUUID(),
    roles: ['member'],
  };
  return { ...caller, token: await accessToken(caller) } satisfies TestUser;
}

/** A real HTTP server publishing the key set, as the auth service does, on a free port. */
export function serveJwks(): Promise<TestTokenIssuer> {
  return testTokenIssuer({ key: signingKey });
}

/**
 * One service per database, built in `before` and closed in `after` of the enclosing describe:
 * an in-memory PGlite costs seconds to create, so the suites share it and use fresh tenants.
 * Its bus is an EmbeddedBus of its own, so tests can publish raw (malformed) messages and read
 * dead letters.
 */
export function sharedTodosService(kind: DatabaseKind): () => TodosService {
  const cleanups: Array<() => unknown> = [];
  let instance: TodosService | undefined;
  before(async () => {
    const jwks = await serveJwks();
    cleanups.push(() => jwks.close());
    const bus = new EmbeddedBus();
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
    if (!instance) throw new Error('the todos service is not built yet');
    return instance;
  };
}

/** The service's own database, typed: tests look at rows the API does not show. */
export function database(svc: TodosService): Database<TodosDb> {
  return svc.context.db;
}

type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export async function call(
  svc: TodosService,
  method: Method,
  path: string,
  options: { token?: string; payload?: object | string; headers?: Record<string, string> } = {},
) {
  return svc.app.inject({
    method,
    url: `/api/v1/todos${path}`,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.payload ? { payload: options.payload } : {}),
  });
}

/** Creates a todo through the API and answers it as the API did. */
export async function addTodo(
  svc: TodosService,
  user: TestUser,
  payload: { title: string; description?: string; dueAt?: string } = { title: 'A todo' },
) {
  const response = await call(svc, 'POST', '', { token: user.token, payload });
  if (response.statusCode !== 201) throw new Error(`create answered ${response.body}`);
  return response.json() as {
    id: string;
    version: number;
    title: string;
    done: boolean;
    updatedAt: string;
  };
}

/** The events recorded in the outbox about one todo (the CloudEvent subject), oldest first. */
export async function outboxEventsAbout(svc: TodosService, subject: string): Promise<CloudEvent[]> {
  const rows = await database(svc)
    .db.selectFrom('outbox')
    .select(['event'])
    .where('aggregate', '=', subject)
    .orderBy('seq')
    .execute();
  // pg parses jsonb; PGlite may hand back the text.
  return rows.map(
    (row) => (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as CloudEvent,
  );
}

/** Polls `read` until `done` holds (events travel asynchronously), or gives up after `timeoutMs`. */
export async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 5_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() - started > timeoutMs) return value;
    await delay(20);
  }
}

/** `users.user.deleted.v1` as the users service records it. */
export function userDeletedEvent(
  user: Caller,
  deletedBy: string,
  id: string = randomUUID(),
): CloudEvent {
  return {
    specversion: '1.0',
    id,
    source: '/lattice/users',
    type: 'lattice.users.user.deleted.v1',
    time: new Date().toISOString(),
    subject: user.userId,
    tenantid: user.tenantId,
    datacontenttype: 'application/json',
    data: { userId: user.userId, tenantId: user.tenantId, deletedBy },
  };
}
