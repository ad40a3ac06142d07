// The order flow as a customer, an operator and the test see it, through the gateway: register,
// browse, order, wait for the saga's outcome, and the sandbox's ledger of real charges.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';

export const PASSWORD = 'correct horse battery';
/** The sandbox's development key (PAYMENT_SANDBOX_API_KEY's default). */
export const SANDBOX_KEY = 'sk_test_lattice_sandbox';

export interface Reply<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = Record<string, unknown>>(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Reply<T>> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: (text ? JSON.parse(text) : {}) as T,
    headers: response.headers,
  };
}

export interface Customer {
  userId: string;
  tenantId: string;
  token: string;
}

export function uniqueEmail(label: string): string {
  return `${label}-${randomBytes(5).toString('hex')}@example.test`;
}

/** Registers a founder of a new tenant (role admin) and returns their access token. */
export async function register(gateway: string, email = uniqueEmail('buyer')): Promise<Customer> {
  const reply = await call<{ user: { id: string; tenantId: string }; accessToken: string }>(
    gateway,
    'POST',
    '/api/v1/auth/register',
    { body: { email, password: PASSWORD, name: 'Buyer', tenantName: 'Commerce E2E' } },
  );
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return {
    userId: reply.body.user.id,
    tenantId: reply.body.user.tenantId,
    token: reply.body.accessToken,
  };
}

export interface OrderView {
  id: string;
  status: 'pending' | 'confirmed' | 'cancelled';
  totalCents: number;
  currency: string;
  paymentMethod: string;
  paymentId?: string;
  cancellationReason?: string;
  refundedAt?: string;
}

export async function firstSku(gateway: string, customer: Customer): Promise<string> {
  const products = await call<{ items: { sku: string }[] }>(gateway, 'GET', '/api/v1/products', {
    token: customer.token,
  });
  assert.equal(products.status, 200, JSON.stringify(products.body));
  assert.ok(products.body.items.length >= 12, 'the catalog is seeded');
  return products.body.items[0]!.sku;
}

export async function placeOrder(
  gateway: string,
  customer: Customer,
  sku: string,
  paymentMethod: string,
  idempotencyKey: string = randomUUID(),
): Promise<OrderView> {
  const reply = await call<OrderView>(gateway, 'POST', '/api/v1/orders', {
    token: customer.token,
    headers: { 'idempotency-key': idempotencyKey },
    body: { items: [{ sku, quantity: 2 }], paymentMethod },
  });
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  assert.equal(reply.body.status, 'pending');
  return reply.body;
}

export async function readOrder(
  gateway: string,
  customer: Customer,
  id: string,
): Promise<OrderView> {
  const reply = await call<OrderView>(gateway, 'GET', `/api/v1/orders/${id}`, {
    token: customer.token,
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body;
}

/** Polls the order until `done` holds; fails with the last state seen after `timeoutMs`. */
export async function orderUntil(
  gateway: string,
  customer: Customer,
  id: string,
  done: (order: OrderView) => boolean,
  timeoutMs = 30_000,
): Promise<OrderView> {
  const started = Date.now();
  for (;;) {
    let order: OrderView | undefined;
    try {
      order = await readOrder(gateway, customer, id);
    } catch (error) {
      // A service being restarted answers 502/503 for a moment.
      if (Date.now() - started > timeoutMs) throw error;
    }
    if (order && done(order)) return order;
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `order ${id} did not settle within ${timeoutMs} ms: ${JSON.stringify(order)}`,
      );
    }
    await delay(100);
  }
}

export const settled = (order: OrderView) => order.status !== 'pending';

export interface Charge {
  id: string;
  status: 'succeeded' | 'failed';
  refunded: boolean;
}

/** The sandbox's own ledger: every charge it made for the order (its idempotency key). */
export async function chargesFor(sandbox: string, orderId: string): Promise<Charge[]> {
  const reply = await call<{ data: Charge[] }>(
    sandbox,
    'GET',
    `/v1/charges?limit=100&idempotency_key=${encodeURIComponent(`order:${orderId}`)}`,
    { token: SANDBOX_KEY },
  );
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.data;
}

export async function setOutage(sandbox: string, enabled: boolean): Promise<void> {
  const reply = await call(sandbox, 'POST', '/v1/sandbox/outage', {
    token: SANDBOX_KEY,
    body: { enabled },
  });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
}

export interface PaymentView {
  id: string;
  orderId: string;
  status: 'pending' | 'succeeded' | 'failed' | 'refunded';
  failureReason?: string;
}

export async function paymentsFor(
  gateway: string,
  customer: Customer,
  orderId: string,
): Promise<PaymentView[]> {
  const reply = await call<{ items: PaymentView[] }>(
    gateway,
    'GET',
    `/api/v1/payments?orderId=${orderId}`,
    { token: customer.token },
  );
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
  return reply.body.items;
}

/** A gauge's value in a Prometheus text scrape, or undefined when absent. */
export async function metricValue(serviceUrl: string, name: string): Promise<number | undefined> {
  const text = await (await fetch(`${serviceUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : undefined;
}
