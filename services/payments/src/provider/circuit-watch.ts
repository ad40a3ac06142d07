import type { FastifyBaseLogger } from 'fastify';
import type { PaymentProvider } from '../domain/payment-provider.ts';
import type { PaymentMetrics } from '../metrics.ts';

const STATE_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * Makes the provider circuit observable (a gauge, a counter of transitions and a log line per
 * change) and closes it again without waiting for traffic: while it is open, a probe is sent
 * every `probeEveryMs`. The client refuses it at once until the half-open delay is over; then
 * the probe is the one trial call, and a provider that answers closes the circuit.
 */
export function watchCircuit(
  provider: PaymentProvider,
  metrics: PaymentMetrics,
  log: FastifyBaseLogger,
  probeEveryMs: number,
) {
  let last = provider.circuitState();
  metrics.circuitState.set(STATE_VALUE[last]);
  let probing = false;

  const check = () => {
    const state = provider.circuitState();
    metrics.circuitState.set(STATE_VALUE[state]);
    if (state === last) return;
    metrics.circuitTransitions.inc({ to: state });
    const line = { circuit: 'payment-provider', from: last, to: state };
    if (state === 'closed') log.info(line, 'payment provider circuit closed');
    else log.warn(line, `payment provider circuit ${state}`);
    last = state;
  };

  const timer = setInterval(() => {
    check();
    if (last !== 'open' || probing) return;
    probing = true;
    provider
      .probe()
      .finally(() => {
        probing = false;
        check();
      })
      .catch(() => {});
  }, probeEveryMs);
  timer.unref();

  return {
    /** Called after every provider call, so a change is logged when it happens. */
    check,
    stop: () => clearInterval(timer),
  };
}
