import { randomUUID } from 'node:crypto';
import { after, before } from 'node:test';
import type {
  PaymentFailedV1,
  PaymentFailureReasonV1,
  PaymentRefundedV1,
  PaymentSucceededV1,
} from '@lattice/contracts';
import {
  type CloudEvent,
  type Database,
  EmbeddedBus,
  type ServiceInstance,
  serviceAudience,
} from '@lattice/platform';
import {
  buildTestService,
  createSigningKey,
  type DatabaseKind,
  eventually,
  needs,
  signAccessToken,
  testTokenIssuer,
} from '@lattice/platform/testing';
import { service } from '../../src/app.ts';
import type { OrdersConfigProperties } from '../../src/config.ts';
import type { OrdersDb } from '../../src/data/schema.ts';

export type OrdersService = ServiceInstance<OrdersConfigProperties> & {
  /** The in-process bus the service publishes to and consumes from. */
  bus: EmbeddedBus;
};

/** Each behaviour runs on both databases; PostgreSQL only when it answers. */
export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

/** Snapshots every 2 events in tests, so most orders that move at all have one. */
export const SNAPSHOT_EVERY = 2;

// Stands in for the auth service's signing key: the orders service only ever sees its JWKS.
const signingKey = await createSigningKey();

export interface TestUser {
  userId: string;
  tenantId: string;
  roles: string[];
  token: string;
}

/** A user with a token; a fresh tenant unless one is given, so tests never see each other's data. */
export async function newUser(
  options: { tenantId?: string; userId?: string; roles?: string[] } = {},
): Promise<TestUser> {
  const caller = {
    userId: options.userId ?? randomUUID(),
    tenantId: options.tenantId ?? randomUUID(),
    roles: options.roles ?? ['member'],
  };
  return { ...caller, token: await signAccessToken(signingKey, caller) };
}

/** A service token from `caller` addressed to orders, as the auth service issues them. */
export function serviceToken(caller = 'worker', audience = 'orders'): Promise<string> {
  return signAccessToken(
    signingKey,
    {},
    { sub: `service:${caller}`, aud: serviceAudience(audience) },
  );
}

/**
 * One service per database, built in `before` and closed in `after` of the enclosing describe:
 * an in-memory PGlite costs seconds to create, so the suites share it and use fresh tenants.
 * Its bus is an EmbeddedBus of its own, so tests publish payments' events to its consumers.
 */
export function sharedOrdersService(
  kind: DatabaseKind,
  env: Record<string, string> = {},
): () => OrdersService {
  const cleanups: Array<() => unknown> = [];
  let instance: OrdersService | undefined;
  before(async () => {
    const jwks = await testTokenIssuer({ key: signingKey });
    cleanups.push(() => jwks.close());
    const bus = new EmbeddedBus();
    cleanups.push(() => bus.close());
    const collector = { after: (fn: unknown) => void cleanups.push(fn as () => unknown) };
    const built = await buildTestService(collector as never, service, {
      db: kind,
      embeddedBus: bus,
      env: {
        AUTH_JWKS_URL: jwks.jwksUrl,
        ORDERS_SNAPSHOT_EVERY: String(SNAPSHOT_EVERY),
        ...env,
      },
    });
    instance = Object.assign(built, { bus });
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return () => {
    if (!instance) throw new Error('the orders service is not built yet');
    return instance;
  };
}

/** The service's own database, typed: tests look at rows the API does not show. */
export function database(svc: OrdersService): Database<OrdersDb> {
  return svc.context.db;
}

type Method = 'GET' | 'POST';

export async function call(
  svc: OrdersService,
  method: Method,
  url: string,
  options: { token?: string; payload?: object | string; headers?: Record<string, string> } = {},
) {
  return svc.app.inject({
    method,
    url,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...options.headers,
    },
    ...(options.payload !== undefined ? { payload: options.payload } : {}),
  });
}

export interface OrderBody {
  id: string;
  status: 'pending' | 'confirmed' | 'cancelled';
  items: Array<{ sku: string; name: string; quantity: number; unitPriceCents: number }>;
  totalCents: number;
  currency: string;
  paymentMethod: string;
  paymentId?: string;
  cancellationReason?: string;
  refundedAt?: string;
  createdAt: string;
  updatedAt: string;
}

/** Places an order through the API with a fresh Idempotency-Key and answers it as the API did. */
export async function placeOrder(
  svc: OrdersService,
  user: TestUser,
  payload: object = { items: [{ sku: 'MUG-01', quantity: 2 }] },
): Promise<OrderBody> {
  const response = await call(svc, 'POST', '/api/v1/orders', {
    token: user.token,
    headers: { 'idempotency-key': randomUUID() },
    payload,
  });
  if (response.statusCode !== 201) throw new Error(`place answered ${response.body}`);
  return response.json() as OrderBody;
}

export async function getOrder(svc: OrdersService, user: TestUser, id: string): Promise<OrderBody> {
  const response = await call(svc, 'GET', `/api/v1/orders/${id}`, { token: user.token });
  if (response.statusCode !== 200) throw new Error(`get answered ${response.body}`);
  return response.json() as OrderBody;
}

/** Polls the order until `done` holds (payment events travel through the bus). */
export function orderWhen(
  svc: OrdersService,
  user: TestUser,
  id: string,
  done: (order: OrderBody) => boolean,
  what = 'the order to change',
): Promise<OrderBody> {
  return eventually(
    what,
    async () => {
      const order = await getOrder(svc, user, id);
      return done(order) ? order : undefined;
    },
    10_000,
  );
}

const paymentEnvelope = (type: string, order: { orderId: string; tenantId: string }) => ({
  specversion: '1.0' as const,
  id: randomUUID(),
  source: '/lattice/payments',
  type,
  time: new Date().toISOString(),
  subject: order.orderId,
  tenantid: order.tenantId,
  datacontenttype: 'application/json' as const,
});

export interface PaymentRef {
  order: OrderBody;
  user: TestUser;
  paymentId?: string;
}

function paymentData(ref: PaymentRef) {
  return {
    paymentId: ref.paymentId ?? `pay_${randomUUID()}`,
    orderId: ref.order.id,
    tenantId: ref.user.tenantId,
    customerId: ref.user.userId,
    amountCents: ref.order.totalCents,
    currency: ref.order.currency,
  };
}

/** `payments.payment.succeeded.v1` as the payments service records it. */
export function paymentSucceeded(ref: PaymentRef): CloudEvent<PaymentSucceededV1> {
  const data = paymentData(ref);
  return {
    ...paymentEnvelope('lattice.payments.payment.succeeded.v1', data),
    data,
  };
}

export function paymentFailed(
  ref: PaymentRef,
  reason: PaymentFailureReasonV1,
): CloudEvent<PaymentFailedV1> {
  const data = { ...paymentData(ref), reason };
  return { ...paymentEnvelope('lattice.payments.payment.failed.v1', data), data };
}

export function paymentRefunded(ref: PaymentRef, reason: string): CloudEvent<PaymentRefundedV1> {
  const data = { ...paymentData(ref), reason };
  return { ...paymentEnvelope('lattice.payments.payment.refunded.v1', data), data };
}

/** The events recorded in the outbox about one order (the CloudEvent subject), oldest first. */
export async function outboxEventsAbout(
  svc: OrdersService,
  subject: string,
): Promise<CloudEvent[]> {
  const rows = await database(svc)
    .db.selectFrom('outbox')
    .select(['event'])
    .where('aggregate', '=', subject)
    .orderBy('seq')
    .execute();
  return rows.map(
    (row) => (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as CloudEvent,
  );
}
