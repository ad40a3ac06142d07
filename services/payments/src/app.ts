import {
  type Discovery,
  type ServiceConfig,
  type ServiceDefinition,
  uuidv7,
} from '@lattice/platform';
import { type PaymentsConfigProperties, paymentsConfig } from './config.ts';
import type { PaymentsDb } from './data/schema.ts';
import type { Faults, PaymentsDeps } from './domain/deps.ts';
import { LocalLeases } from './domain/local-leases.ts';
import { PaymentRunner } from './domain/payment-runner.ts';
import { orderPlacedConsumer, refundRequestedConsumer } from './events/order-consumers.ts';
import { paymentMetrics } from './metrics.ts';
import { watchCircuit } from './provider/circuit-watch.ts';
import { sandboxProvider } from './provider/sandbox-adapter.ts';
import { registerPaymentRoutes } from './routes/payment-routes.ts';

const SANDBOX_DEFAULT_URL = 'http://127.0.0.1:8086';

/** Where the provider is: the configured URL, else a payment-sandbox instance from discovery. */
function providerUrl(config: ServiceConfig<PaymentsConfigProperties>, discovery: Discovery) {
  return () => {
    if (config.PAYMENTS_PROVIDER_URL) return config.PAYMENTS_PROVIDER_URL;
    const instances = discovery.instances('payment-sandbox');
    // Like the kit's lookup of auth: a service started alone finds the sandbox at its port.
    if (instances.length === 0) return SANDBOX_DEFAULT_URL;
    return instances[Math.floor(Math.random() * instances.length)] as string;
  };
}

/** The service with `faults` injected (tests only); `service` below is the real one. */
export function paymentsService(
  options: { faults?: Faults } = {},
): ServiceDefinition<PaymentsConfigProperties, PaymentsDb> {
  return {
    name: 'payments',
    description:
      'Charges orders and refunds them through the payment provider, never twice; payments by order',
    config: paymentsConfig,
    migrations: new URL('../migrations/', import.meta.url),
    async routes(app, { config, db, events, discovery, auth, log, metrics, tracing, onClose }) {
      const provider = sandboxProvider({
        baseUrl: providerUrl(config, discovery),
        apiKey: config.PAYMENTS_PROVIDER_API_KEY,
        timeoutMs: config.PAYMENTS_PROVIDER_TIMEOUT_MS,
        retries: config.PAYMENTS_PROVIDER_RETRIES,
        backoff: {
          initialMs: config.PAYMENTS_PROVIDER_BACKOFF_MS,
          maxMs: config.PAYMENTS_PROVIDER_BACKOFF_MAX_MS,
        },
        breaker: {
          consecutiveFailures: config.PAYMENTS_BREAKER_FAILURES,
          halfOpenAfterMs: config.PAYMENTS_BREAKER_HALF_OPEN_MS,
        },
        logger: log,
      });
      onClose(() => provider.close());
      const measures = paymentMetrics(metrics);
      const circuit = watchCircuit(
        provider,
        measures,
        log,
        Math.max(25, Math.min(1000, Math.floor(config.PAYMENTS_BREAKER_HALF_OPEN_MS / 2))),
      );
      onClose(() => circuit.stop());

      const deps: PaymentsDeps = {
        database: db,
        events,
        provider,
        metrics: measures,
        tracing,
        log,
        leases: new LocalLeases(),
        workChannel: `${db.schema}_payment_work`,
        leaseMs: config.PAYMENTS_LEASE_MS,
        refundRetryMaxMs: config.PAYMENTS_REFUND_RETRY_MAX_MS,
        reconcileAfterMs: config.PAYMENTS_RECONCILE_AFTER_MS,
        faults: options.faults ?? {},
        afterProviderCall: circuit.check,
        now: () => new Date(),
        // Time-ordered ids keep inserts at the right edge of the primary key index.
        newId: () => uuidv7(),
      };
      registerPaymentRoutes(app, deps, auth);
      events.consume(orderPlacedConsumer(deps));
      events.consume(refundRequestedConsumer(deps));

      const runner = new PaymentRunner(deps, {
        concurrency: config.PAYMENTS_CONCURRENCY,
        pollMs: config.PAYMENTS_POLL_INTERVAL_MS,
      });
      await runner.start();
      // Stops before the provider client closes (last registered runs first).
      onClose(() => runner.stop());
    },
  };
}

export const service = paymentsService();
