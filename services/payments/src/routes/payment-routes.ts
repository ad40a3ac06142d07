import type { Identity, ServiceApp, ServiceContext } from '@lattice/platform';
import type { FastifyRequest } from 'fastify';
import type { PaymentsDeps } from '../domain/deps.ts';
import { getPayment, listPayments, refundByOperator, viewerOf } from '../domain/read-payments.ts';
import { ListQuery, PaymentPageReply, PaymentParams, PaymentReply } from './schemas.ts';

const tags = ['payments'];
const description =
  "Requires `Authorization: Bearer <accessToken>`; the caller's own payments (a tenant admin: the tenant's)";
const BASE = '/api/v1/payments';

function callerOf(request: FastifyRequest): Identity {
  // Reaching a handler without it is a wiring bug, hence a 500 rather than a 401.
  if (!request.identity) throw new Error('route registered without the authenticate hook');
  return request.identity;
}

/** Thin handlers: HTTP in (validated by the schemas), a use case, HTTP out. */
export function registerPaymentRoutes(
  app: ServiceApp,
  deps: PaymentsDeps,
  auth: ServiceContext['auth'],
): void {
  const onRequest = [auth.authenticate];

  app.get(
    BASE,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Payments, newest first, a page at a time (?orderId= for one order)',
        description,
        querystring: ListQuery,
        response: { 200: PaymentPageReply },
      },
    },
    async (request) => listPayments(deps, viewerOf(callerOf(request)), request.query),
  );

  app.get(
    `${BASE}/:id`,
    {
      onRequest,
      schema: {
        tags,
        summary: 'One payment',
        description,
        params: PaymentParams,
        response: { 200: PaymentReply },
      },
    },
    async (request) => getPayment(deps, viewerOf(callerOf(request)), request.params.id),
  );

  app.post(
    `${BASE}/:id/refund`,
    {
      onRequest: [auth.authenticate, auth.requireRole('admin')],
      schema: {
        tags,
        summary:
          'Refund a succeeded payment (tenant admin): 200 refunded, 202 if the provider takes it later; again: 200 as it is',
        description: 'Requires the admin role; a pending or failed payment answers 409',
        params: PaymentParams,
        response: { 200: PaymentReply, 202: PaymentReply },
      },
    },
    async (request, reply) => {
      const { payment, done } = await refundByOperator(
        deps,
        viewerOf(callerOf(request)),
        request.params.id,
      );
      return reply.code(done ? 200 : 202).send(payment);
    },
  );
}
