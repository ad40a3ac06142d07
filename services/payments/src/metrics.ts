import { Counter, Gauge, type Registry } from 'prom-client';

/** Business metrics on the service's registry (served at /metrics); labels stay bounded. */
export function paymentMetrics(registry: Registry) {
  return {
    outcomes: new Counter({
      name: 'payments_outcomes_total',
      help: 'Payments settled, by outcome: succeeded, payment_declined, insufficient_funds, payment_unavailable, refunded',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    circuitState: new Gauge({
      name: 'payments_provider_circuit_state',
      help: 'Payment provider circuit: 0 closed, 1 half-open, 2 open',
      registers: [registry],
    }),
    circuitTransitions: new Counter({
      name: 'payments_provider_circuit_transitions_total',
      help: 'Changes of the payment provider circuit, by the state entered',
      labelNames: ['to'],
      registers: [registry],
    }),
  };
}

export type PaymentMetrics = ReturnType<typeof paymentMetrics>;
