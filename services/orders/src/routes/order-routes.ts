import type { ServiceApp, ServiceContext } from '@lattice/platform';
import { cancelOrder } from '../domain/cancel-order.ts';
import type { OrdersDeps } from '../domain/deps.ts';
import { placeOrder } from '../domain/place-order.ts';
import { getOrder, listOrders, orderHistory } from '../domain/read-orders.ts';
import { OrdersErrors } from '../errors.ts';
import { callerOf, traceparentOf } from './caller.ts';
import {
  CreateHeaders,
  HistoryReply,
  ListQuery,
  NewOrderBody,
  OrderPageReply,
  OrderParams,
  OrderReply,
} from './schemas.ts';

const tags = ['orders'];
const description =
  "Requires `Authorization: Bearer <accessToken>`. A customer sees their own orders; a tenant admin (role admin) may also read the tenant's other orders";
export const ORDERS_BASE = '/api/v1/orders';

/** Thin handlers: HTTP in (validated by the schemas), a use case, HTTP out. */
export function registerOrderRoutes(
  app: ServiceApp,
  deps: OrdersDeps,
  auth: ServiceContext['auth'],
): void {
  // onRequest, not preHandler: an anonymous caller is refused before its body is even parsed.
  const onRequest = [auth.authenticate];

  app.post(
    ORDERS_BASE,
    {
      onRequest,
      schema: {
        tags,
        summary:
          'Place an order (201, status pending); Idempotency-Key required: the same key and body answer the same order again',
        description,
        headers: CreateHeaders,
        body: NewOrderBody,
        response: { 201: OrderReply },
      },
    },
    async (request, reply) => {
      const key = request.headers['idempotency-key'];
      if (key === undefined) {
        throw OrdersErrors.idempotencyKeyMissing(
          'Send an Idempotency-Key header (e.g. a fresh UUID) so a retried request cannot place a second order',
          {
            extensions: {
              errors: [{ field: 'headers.idempotency-key', message: 'is required' }],
            },
          },
        );
      }
      const placed = await placeOrder(deps, callerOf(request), request.body, {
        idempotencyKey: key,
        traceparent: traceparentOf(request),
      });
      if (placed.replayed) reply.header('idempotent-replayed', 'true');
      reply.header('location', `${ORDERS_BASE}/${placed.order.id}`);
      return reply.code(placed.status as 201).send(placed.order);
    },
  );

  app.get(
    ORDERS_BASE,
    {
      onRequest,
      schema: {
        tags,
        summary: "The caller's orders, newest first, a page at a time",
        description,
        querystring: ListQuery,
        response: { 200: OrderPageReply },
      },
    },
    async (request) => listOrders(deps, callerOf(request), request.query),
  );

  app.get(
    `${ORDERS_BASE}/:id`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'One order',
        description,
        params: OrderParams,
        response: { 200: OrderReply },
      },
    },
    async (request) => getOrder(deps, callerOf(request), request.params.id),
  );

  app.get(
    `${ORDERS_BASE}/:id/events`,
    {
      onRequest,
      schema: {
        tags,
        summary: "The order's history: its domain events, oldest first",
        description,
        params: OrderParams,
        response: { 200: HistoryReply },
      },
    },
    async (request) => orderHistory(deps, callerOf(request), request.params.id),
  );

  app.post(
    `${ORDERS_BASE}/:id/cancel`,
    {
      onRequest,
      schema: {
        tags,
        summary:
          'Cancel your order: pending → cancelled; confirmed → cancelled and refunded; cancelled → 409',
        description,
        params: OrderParams,
        response: { 200: OrderReply },
      },
    },
    async (request) =>
      cancelOrder(deps, callerOf(request), request.params.id, {
        traceparent: traceparentOf(request),
      }),
  );
}
