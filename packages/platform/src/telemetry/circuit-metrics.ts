import { Gauge, type Registry } from 'prom-client';

export type CircuitReading = () => 'closed' | 'open' | 'half-open';

const VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

// One gauge per registry however many clients report to it; a registry refuses a second
// metric of the same name.
const circuits = new WeakMap<Registry, Map<string, CircuitReading>>();

/**
 * `lattice_http_client_circuit_state{upstream}` on `registry`: 0 closed, 1 half-open, 2 open,
 * read from the client's breaker at each scrape. Upstream names come from code, never data.
 */
export function trackCircuit(registry: Registry, upstream: string, read: CircuitReading): void {
  circuitsOf(registry).set(upstream, read);
}

/** The registry's circuit gauge, created on first use (every service's registry has one). */
export function circuitsOf(registry: Registry): Map<string, CircuitReading> {
  let readings = circuits.get(registry);
  if (!readings) {
    const owned = new Map<string, CircuitReading>();
    readings = owned;
    circuits.set(registry, owned);
    new Gauge({
      name: 'lattice_http_client_circuit_state',
      help: 'Circuit breaker of each upstream the service calls: 0 closed, 1 half-open, 2 open',
      labelNames: ['upstream'],
      registers: [registry],
      collect() {
        for (const [name, reading] of owned) this.set({ upstream: name }, VALUE[reading()]);
      },
    });
  }
  return readings;
}
