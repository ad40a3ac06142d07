import type { ServiceApp, ServiceDefinition } from '@lattice/platform';
import { type SandboxConfigProperties, sandboxConfig } from './config.ts';
import type { SandboxDb } from './data/schema.ts';
import type { SandboxDeps } from './domain/deps.ts';
import { OutageSwitch } from './domain/outage.ts';
import { SandboxErrors } from './errors.ts';
import { registerChargeRoutes } from './routes/charge-routes.ts';
import { apiKeyCheck, installProviderErrors } from './routes/provider-errors.ts';

/**
 * A stand-in for an external card processor. Its API lives at /v1 (not /api/v1): the gateway
 * forwards only /api/v1/<service>/..., so the processor is never exposed publicly by accident.
 */
export const service: ServiceDefinition<SandboxConfigProperties, SandboxDb> = {
  name: 'payment-sandbox',
  description: 'Sandbox card processor: test payment methods, idempotency keys, simulated outages',
  config: sandboxConfig,
  migrations: new URL('../migrations/', import.meta.url),
  async routes(app, { config, db }) {
    const deps: SandboxDeps = {
      database: db,
      outage: new OutageSwitch(config.PAYMENT_SANDBOX_OUTAGE),
      slowMs: config.PAYMENT_SANDBOX_SLOW_MS,
      flakyFailures: config.PAYMENT_SANDBOX_FLAKY_FAILURES,
    };
    await app.register(
      async (scope) => {
        const v1 = scope as unknown as ServiceApp;
        installProviderErrors(v1);
        v1.addHook('onRequest', apiKeyCheck(config.PAYMENT_SANDBOX_API_KEY));
        registerChargeRoutes(v1, deps);
        v1.setNotFoundHandler(async (request, reply) => {
          const error = SandboxErrors.notFound(request.url.split('?')[0] ?? '');
          return reply.code(error.status).send(error.body);
        });
      },
      { prefix: '/v1' },
    );
  },
};
