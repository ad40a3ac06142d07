import type { ServiceApp, ServiceContext } from '@lattice/platform';
import type { OrdersDeps } from '../domain/deps.ts';
import { expirePendingOrders } from '../domain/expire-pending.ts';
import { ExpireBody, ExpireReply } from './schemas.ts';

/** Service-to-service routes: not forwarded by the gateway, service tokens only. */
export function registerInternalRoutes(
  app: ServiceApp,
  deps: OrdersDeps,
  auth: ServiceContext['auth'],
): void {
  app.post(
    '/internal/orders/expire-pending',
    {
      onRequest: [auth.authenticateService],
      // A scheduler may POST without a body: that means the defaults, as `{}` does.
      preValidation: async (request) => {
        request.body ??= {};
      },
      schema: {
        tags: ['internal'],
        summary:
          'Cancel every order pending longer than the payment timeout (reason payment_timeout); the worker calls it on a schedule',
        description: 'Requires a service token addressed to orders',
        body: ExpireBody,
        response: { 200: ExpireReply },
      },
    },
    async (request) =>
      expirePendingOrders(deps, {
        olderThanMs: request.body?.olderThanMs,
        caller: request.caller?.service,
      }),
  );
}
