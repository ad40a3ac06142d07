import type { Identity } from '@lattice/platform';
import { type StoredEvent, storedEvents } from '../data/event-store.ts';
import { callerKeys } from '../data/idempotency-keys.ts';
import { placeInOneStatement } from '../data/placement.ts';
import type { Executor } from '../data/schema.ts';
import { OrdersErrors } from '../errors.ts';
import { integrationEvents } from '../events/order-integration-events.ts';
import { CATALOG_CURRENCY } from './catalog.ts';
import type { OrdersDeps } from './deps.ts';
import { earlierResponse, expired, keyInFlight, replayable, requestHash } from './idempotency.ts';
import { placeOrder as decidePlace, evolve, type OrderLine, type PlaceOrder } from './order.ts';
import { executeOrderCommand } from './order-store.ts';
import { type OrderView, orderViewOf } from './order-view.ts';

export const DEFAULT_PAYMENT_METHOD = 'pm_card_ok';

export interface PlaceOrderRequest {
  items: Array<{ sku: string; quantity: number }>;
  paymentMethod?: string;
}

export interface PlacedOrder {
  status: number;
  order: OrderView;
  /** True when this is the stored first response to the same Idempotency-Key. */
  replayed: boolean;
}

/**
 * Places an order for the caller. The order's first event, its read models, its `placed`
 * integration event (the outbox) and the response stored under the Idempotency-Key are written
 * together or not at all: a retry finds all of them or none, so it never places a second order.
 * Most placements are one statement (`placeInOneStatement`); the rarer cases (a key past its
 * lifetime, a request the catalog refuses, a snapshot due at once) take a transaction.
 */
export async function placeOrder(
  deps: OrdersDeps,
  caller: Identity,
  request: PlaceOrderRequest,
  options: { idempotencyKey: string; traceparent?: string },
): Promise<PlacedOrder> {
  const now = deps.now();
  const hash = requestHash(request);
  const placing: Placing = { caller, request, options, now, hash };
  return (await placeAtOnce(deps, placing)) ?? (await placeInTransaction(deps, placing));
}

/** One placement request, with its time and the hash of its body. */
interface Placing {
  caller: Identity;
  request: PlaceOrderRequest;
  options: { idempotencyKey: string; traceparent?: string };
  now: Date;
  hash: string;
}

/** One statement, or undefined when the transaction must decide. */
async function placeAtOnce(
  deps: OrdersDeps,
  { caller, request, options, now, hash }: Placing,
): Promise<PlacedOrder | undefined> {
  // The first version would need a snapshot of its own (ORDERS_SNAPSHOT_EVERY=1).
  if (deps.snapshotEvery <= 1) return undefined;
  // A refused request answers what the transaction answers, in its order of checks (a key
  // used with another body is reported before the body's own faults).
  const lines = await priceLines(deps, deps.database.db, caller.tenantId, request.items).catch(
    (error: unknown) => {
      if (OrdersErrors.unknownSku.is(error) || OrdersErrors.duplicateSku.is(error))
        return undefined;
      throw error;
    },
  );
  if (!lines) return undefined;
  const orderId = deps.newId();
  const [placed] = storedEvents([
    {
      streamId: orderId,
      tenantId: caller.tenantId,
      expectedVersion: 0,
      events: decidePlace(undefined, placement(caller, request, orderId, lines, now)),
      metadata: { actor: caller.userId, traceparent: options.traceparent },
      recordedAt: now,
    },
  ])[0] as [StoredEvent];
  const state = evolve(undefined, placed.event);
  const order = orderViewOf(state);
  const announced = integrationEvents(deps.events, placed, state);
  // Twice at most: a key stored by a request that committed while this one read is seen by
  // the second run.
  for (let run = 0; run < 2; run++) {
    const result = await placeInOneStatement(deps.database.db, {
      owner: caller,
      key: options.idempotencyKey,
      response: { requestHash: hash, orderId, status: 201, body: order, createdAt: now },
      placed,
      outbox: (gate) => deps.events.outboxInsert(announced, gate),
    });
    if (result.kind === 'in-flight') throw keyInFlight();
    if (result.kind === 'placed') {
      deps.metrics.count([placed]);
      return { status: 201, order, replayed: false };
    }
    if (result.kind === 'earlier') {
      if (expired(result.earlier, now, deps.idempotencyTtlMs)) return undefined;
      const earlier = replayable(result.earlier, hash);
      return { status: earlier.status, order: earlier.body as OrderView, replayed: true };
    }
  }
  return undefined;
}

async function placeInTransaction(
  deps: OrdersDeps,
  { caller, request, options, now, hash }: Placing,
): Promise<PlacedOrder> {
  const placed = await deps.database.transaction(async (trx) => {
    const keys = callerKeys(trx, caller);
    const earlier = await earlierResponse(
      keys,
      options.idempotencyKey,
      hash,
      now,
      deps.idempotencyTtlMs,
    );
    if (earlier) {
      return {
        status: earlier.status,
        order: earlier.body as OrderView,
        replayed: true,
        appended: [],
      };
    }

    const lines = await priceLines(deps, trx, caller.tenantId, request.items);
    const orderId = deps.newId();
    const { order: state, appended } = await executeOrderCommand(deps, trx, {
      orderId,
      tenantId: caller.tenantId,
      newStream: true,
      metadata: { actor: caller.userId, traceparent: options.traceparent },
      decide: (order) => decidePlace(order, placement(caller, request, orderId, lines, now)),
      // The response stored under the key goes with the order's writes, in their statement.
      alsoWrite: (placed) =>
        keys.saveQuery(options.idempotencyKey, {
          requestHash: hash,
          orderId,
          status: 201,
          body: orderViewOf(placed),
          createdAt: now,
        }),
    });
    if (!state) throw new Error(`order ${orderId} was not placed`);
    // The state the read model was just written from: no need to read it back.
    const order = orderViewOf(state);
    return { status: 201, order, replayed: false, appended };
  });
  deps.metrics.count(placed.appended);
  return { status: placed.status, order: placed.order, replayed: placed.replayed };
}

/** The aggregate's place command for the caller's request. */
function placement(
  caller: Identity,
  request: PlaceOrderRequest,
  orderId: string,
  lines: OrderLine[],
  at: Date,
): PlaceOrder {
  return {
    orderId,
    tenantId: caller.tenantId,
    customerId: caller.userId,
    items: lines,
    currency: CATALOG_CURRENCY,
    paymentMethod: request.paymentMethod ?? DEFAULT_PAYMENT_METHOD,
    at,
  };
}

/**
 * The lines at the catalog's current prices. Each SKU must be in the caller's catalog and on
 * one line only: two lines of one product are refused rather than merged, so the quantity
 * limit per line means what it says and the order shows what the client sent.
 */
async function priceLines(
  deps: OrdersDeps,
  db: Executor,
  tenantId: string,
  items: PlaceOrderRequest['items'],
): Promise<OrderLine[]> {
  const seen = new Set<string>();
  for (const [index, item] of items.entries()) {
    if (seen.has(item.sku)) {
      throw OrdersErrors.duplicateSku(
        `body.items[${index}]: SKU ${item.sku} is already on another line; put the whole quantity on one line`,
      );
    }
    seen.add(item.sku);
  }
  const products = await deps.products.bySkus(db, tenantId, [...seen]);
  const unknown = [...seen].filter((sku) => !products.has(sku));
  if (unknown.length > 0) {
    throw OrdersErrors.unknownSku(`No product with SKU ${unknown.join(', ')} in the catalog`, {
      extensions: { skus: unknown },
    });
  }
  return items.map((item) => {
    const product = products.get(item.sku);
    if (!product) throw new Error('unreachable: every SKU was found');
    return {
      sku: product.sku,
      name: product.name,
      quantity: item.quantity,
      unitPriceCents: product.priceCents,
    };
  });
}
