import { randomBytes, randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import {
  type CloudEvent,
  createService,
  type Database,
  EmbeddedBus,
  openPGliteDatabase,
  PGliteHost,
  type ServiceInstance,
} from '@lattice/platform';
import {
  createTestDatabase,
  type DatabaseKind,
  eventually,
  needs,
  type TestTokenIssuer,
  testTokenIssuer,
} from '@lattice/platform/testing';
import { sql } from 'kysely';
// The real users service answers the profile lookups: notifications reaches it over HTTP only.
import { service as usersService } from '../../../users/src/app.ts';
import { service } from '../../src/app.ts';
import type { NotificationsConfigProperties } from '../../src/config.ts';
import type { NotificationsDb } from '../../src/data/schema.ts';
import { serviceToken, serviceTokenEndpoint } from './auth-stand-in.ts';

export type NotificationsService = ServiceInstance<NotificationsConfigProperties> & {
  bus: EmbeddedBus;
  baseUrl: string;
  issuer: TestTokenIssuer;
  users: ServiceInstance;
};

export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

/** Quick loops, so tests wait for milliseconds rather than the production periods. */
export const FAST_LOOPS = {
  NOTIFICATIONS_POLL_MS: '200',
  NOTIFICATIONS_SSE_HEARTBEAT_MS: '250',
  NOTIFICATIONS_EMAIL_BACKOFF_MS: '50',
  NOTIFICATIONS_USERS_TIMEOUT_MS: '1000',
  NOTIFICATIONS_PROFILE_CACHE_TTL_MS: '1000',
  SERVICE_CLIENT_SECRET: 'test-secret',
};

type Collector = { after(fn: () => unknown): void };

/**
 * Notifications beside a real users service, both on `kind`, sharing one in-process bus (so a
 * registration creates the profile and the welcome alike), with auth stood in by a JWKS server
 * and a service-token endpoint. Both listen on real ports.
 */
export async function buildNotifications(
  collector: Collector,
  kind: DatabaseKind,
  env: Record<string, string> = {},
): Promise<NotificationsService> {
  const issuer = await testTokenIssuer();
  collector.after(() => issuer.close());
  const tokens = await serviceTokenEndpoint(issuer);
  collector.after(() => tokens.close());
  const bus = new EmbeddedBus({ retry: { baseMs: 20, maxMs: 100 } });
  collector.after(() => bus.close());
  const databases = await testDatabases(collector, kind);
  const users = await createService(usersService, {
    database: databases.users,
    embeddedBus: bus,
    env: { LOG_LEVEL: process.env.LOG_LEVEL || 'silent', AUTH_JWKS_URL: issuer.jwksUrl },
  });
  collector.after(() => users.close());
  const usersUrl = await users.listen(0);
  const built = await createService(service, {
    database: databases.notifications,
    embeddedBus: bus,
    env: {
      LOG_LEVEL: process.env.LOG_LEVEL || 'silent',
      AUTH_JWKS_URL: issuer.jwksUrl,
      SERVICE_URLS: `auth=${tokens.url},users=${usersUrl}`,
      ...FAST_LOOPS,
      ...env,
    },
  });
  collector.after(() => built.close());
  const baseUrl = await built.listen(0);
  await keySetsFetched(built, users, issuer);
  return Object.assign(built, { bus, baseUrl, issuer, users });
}

/**
 * The first request of each verifier fetches the key set; on a loaded machine that first fetch
 * may time out (503), which no test is about: wait until both services verify tokens.
 */
async function keySetsFetched(
  notifications: ServiceInstance,
  users: ServiceInstance,
  issuer: TestTokenIssuer,
): Promise<void> {
  const userToken = await issuer.sign();
  const usersToken = await serviceToken(issuer, 'notifications', 'users');
  await eventually(
    'both services verifying tokens',
    async () => {
      const own = await notifications.app.inject({
        url: '/api/v1/notifications?limit=1',
        headers: { authorization: `Bearer ${userToken}` },
      });
      const internal = await users.app.inject({
        url: `/internal/users/${randomUUID()}?tenantId=${randomUUID()}`,
        headers: { authorization: `Bearer ${usersToken}` },
      });
      return own.statusCode === 200 && internal.statusCode === 404 ? true : undefined;
    },
    30_000,
  );
}

/**
 * On PGlite both services share one database, each in its own schema, as `npm start` runs them
 * (and so one connection: a transaction that waited on the users service would stall here).
 * On PostgreSQL each gets a database of its own, as in distributed mode.
 */
async function testDatabases(collector: Collector, kind: DatabaseKind) {
  if (kind === 'pglite') {
    const host = await PGliteHost.open();
    collector.after(() => host.close());
    const users = await openPGliteDatabase(host, 'users');
    const notifications = await openPGliteDatabase(host, 'notifications');
    collector.after(() => users.close());
    collector.after(() => notifications.close());
    return { users, notifications };
  }
  const users = await createTestDatabase('users', 'postgres');
  collector.after(() => users.cleanup());
  const notifications = await createTestDatabase('notifications', 'postgres');
  collector.after(() => notifications.cleanup());
  return { users: users.database, notifications: notifications.database };
}

/** One service per database for a whole file: a PGlite costs seconds to create. */
export function sharedNotificationsService(kind: DatabaseKind): () => NotificationsService {
  const cleanups: Array<() => unknown> = [];
  let instance: NotificationsService | undefined;
  before(async () => {
    instance = await buildNotifications({ after: (fn) => void cleanups.push(fn) }, kind);
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!instance) throw new Error('the notifications service is not built yet');
    return instance;
  };
}

export function database(svc: NotificationsService): Database<NotificationsDb> {
  return svc.context.db as Database<NotificationsDb>;
}

export interface TestUser {
  userId: string;
  tenantId: string;
  email: string;
  name: string;
  token: string;
}

/** A fresh user in a fresh tenant, with an access token; not registered anywhere yet. */
export async function newUser(
  svc: NotificationsService,
  options: { name?: string; roles?: string[]; emailPrefix?: string } = {},
): Promise<TestUser> {
  const userId = randomUUID();
  const tenantId = randomUUID();
  const roles = options.roles ?? ['member'];
  return {
    userId,
    tenantId,
    email: `${options.emailPrefix ?? 'user'}-${randomBytes(4).toString('hex')}@example.test`,
    name: options.name ?? 'Ada',
    token: await svc.issuer.sign({ userId, tenantId, roles }),
  };
}

function cloudEvent(type: string, subject: string, tenantId: string, data: object): CloudEvent {
  return {
    specversion: '1.0',
    id: randomUUID(),
    source: `/lattice/${type.split('.')[1]}`,
    type,
    time: new Date().toISOString(),
    subject,
    tenantid: tenantId,
    datacontenttype: 'application/json',
    data,
  };
}

export const events = {
  registered: (user: TestUser) =>
    cloudEvent('lattice.auth.user.registered.v1', user.userId, user.tenantId, {
      userId: user.userId,
      tenantId: user.tenantId,
      email: user.email,
      name: user.name,
      roles: ['member'],
    }),
  orderConfirmed: (user: TestUser, orderId = randomUUID(), totalCents = 2598, currency = 'EUR') =>
    cloudEvent('lattice.orders.order.confirmed.v1', orderId, user.tenantId, {
      orderId,
      tenantId: user.tenantId,
      customerId: user.userId,
      totalCents,
      currency,
      paymentId: 'p1',
    }),
  orderCancelled: (user: TestUser, reason: string, paymentId?: string) => {
    const orderId = randomUUID();
    return cloudEvent('lattice.orders.order.cancelled.v1', orderId, user.tenantId, {
      orderId,
      tenantId: user.tenantId,
      customerId: user.userId,
      totalCents: 1000,
      currency: 'USD',
      reason,
      ...(paymentId ? { paymentId } : {}),
    });
  },
  paymentRefunded: (user: TestUser, reason: string) => {
    const orderId = randomUUID();
    return cloudEvent('lattice.payments.payment.refunded.v1', 'p-1', user.tenantId, {
      paymentId: 'p-1',
      orderId,
      tenantId: user.tenantId,
      customerId: user.userId,
      amountCents: 1999,
      currency: 'EUR',
      reason,
    });
  },
  todoCreated: (user: TestUser, title: string, dueAt: string | null, todoId = randomUUID()) =>
    cloudEvent('lattice.todos.todo.created.v1', todoId, user.tenantId, {
      todoId,
      tenantId: user.tenantId,
      ownerId: user.userId,
      title,
      dueAt,
    }),
  todoCompleted: (user: TestUser, todoId: string) =>
    cloudEvent('lattice.todos.todo.completed.v1', todoId, user.tenantId, {
      todoId,
      tenantId: user.tenantId,
      ownerId: user.userId,
    }),
  /** An update at `time` (default now): the todo as it left it. */
  todoUpdated: (
    user: TestUser,
    todoId: string,
    todo: { title: string; dueAt: string | null; done: boolean; changed: string[] },
    time = new Date(),
  ) => ({
    ...cloudEvent('lattice.todos.todo.updated.v1', todoId, user.tenantId, {
      todoId,
      tenantId: user.tenantId,
      ownerId: user.userId,
      ...todo,
    }),
    time: time.toISOString(),
  }),
  todoRestored: (
    user: TestUser,
    todoId: string,
    todo: { title: string; dueAt: string | null; done: boolean },
  ) =>
    cloudEvent('lattice.todos.todo.restored.v1', todoId, user.tenantId, {
      todoId,
      tenantId: user.tenantId,
      ownerId: user.userId,
      ...todo,
    }),
  todoDeleted: (user: TestUser, todoId: string) =>
    cloudEvent('lattice.todos.todo.deleted.v1', todoId, user.tenantId, {
      todoId,
      tenantId: user.tenantId,
      ownerId: user.userId,
      deletedBy: user.userId,
    }),
};

/** NATS subject of an event type: the type without `lattice.` and the version's dot kept. */
export function subjectOf(event: CloudEvent): string {
  return event.type.replace(/^lattice\./, '');
}

/** Delivers `event` twice, bypassing the bus's publish deduplication, as a redelivery would. */
export async function deliverTwice(svc: NotificationsService, event: CloudEvent): Promise<void> {
  await svc.bus.publishRaw(subjectOf(event), JSON.stringify(event));
  await svc.bus.publishRaw(subjectOf(event), JSON.stringify(event));
}

export async function call(
  svc: NotificationsService,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  options: { token?: string; payload?: object } = {},
) {
  return svc.app.inject({
    method,
    url: `/api/v1/notifications${path}`,
    headers: options.token ? { authorization: `Bearer ${options.token}` } : {},
    ...(options.payload ? { payload: options.payload } : {}),
  });
}

export interface Item {
  id: string;
  type: string;
  title: string;
  body: string;
  createdAt: string;
  readAt: string | null;
}

export async function listOf(
  svc: NotificationsService,
  user: TestUser,
  query = '',
): Promise<Item[]> {
  const response = await call(svc, 'GET', `?limit=100${query}`, { token: user.token });
  if (response.statusCode !== 200) throw new Error(`list answered ${response.body}`);
  return response.json().items;
}

/** Waits until the user has `count` visible notifications (events travel asynchronously). */
export function visible(svc: NotificationsService, user: TestUser, count: number): Promise<Item[]> {
  return eventually(`${count} notification(s) for ${user.userId}`, async () => {
    const items = await listOf(svc, user);
    return items.length >= count ? items : undefined;
  });
}

/** Resolves once `consumer` (e.g. `notifications_orders`) has committed `eventId`. */
export async function processed(svc: NotificationsService, consumer: string, eventId: string) {
  await eventually(`event ${eventId} processed by ${consumer}`, async () => {
    const { rows } =
      await sql`SELECT 1 FROM inbox WHERE consumer = ${consumer} AND event_id = ${eventId}`.execute(
        database(svc).db,
      );
    return rows.length > 0 ? true : undefined;
  });
}

/** Every stored row for one event (published or not), straight from the table. */
export function rowsOf(svc: NotificationsService, eventId: string) {
  return database(svc)
    .db.selectFrom('notifications')
    .selectAll()
    .where('event_id', '=', eventId)
    .execute();
}

export async function dueReminders(svc: NotificationsService) {
  const token = await serviceToken(svc.issuer, 'worker', 'notifications');
  return svc.app.inject({
    method: 'POST',
    url: '/internal/notifications/due-reminders',
    headers: { authorization: `Bearer ${token}` },
  });
}

/** Registers the user with both services (the same bus event) and waits for the welcome. */
export async function registered(svc: NotificationsService, user: TestUser): Promise<void> {
  await svc.bus.publish([events.registered(user)]);
  await visible(svc, user, 1);
}

/** Changes the user's locale and time zone at the users service, through its API. */
export async function setProfile(
  svc: NotificationsService,
  user: TestUser,
  profile: { locale?: string; timezone?: string },
) {
  await eventually('the profile at users', async () => {
    const response = await svc.users.app.inject({
      method: 'PATCH',
      url: '/api/v1/users/me',
      headers: { authorization: `Bearer ${user.token}` },
      payload: profile,
    });
    return response.statusCode === 200 ? true : undefined;
  });
}

export { eventually };
