import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ServiceUpstream } from './upstream/service-upstream.ts';

const STATUS_CLASSES = ['error', '1xx', '2xx', '3xx', '4xx', '5xx'] as const;
const CIRCUIT_VALUE = { closed: 0, 'half-open': 1, open: 2 } as const;

/**
 * The gateway's own metrics, in a registry of its own: the kit keeps its per-service registry
 * to itself (see `registerMetrics`), so app.ts appends this one to the kit's /metrics answer.
 * Per-instance gauges are read from the live state when scraped, so the request path pays
 * nothing for them; latency children are cached per service so observing allocates nothing.
 */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly rateLimitRejections: Counter<'scope'>;
  readonly retries: Counter<'upstream' | 'outcome'>;
  readonly ejections: Counter<'upstream' | 'instance'>;
  readonly bulkheadRejections: Counter<'upstream'>;
  readonly #latency: Histogram<'upstream' | 'status'>;
  readonly #latencyChildren = new Map<string, Histogram.Internal<'upstream' | 'status'>[]>();

  constructor(options: { upstreams: () => ServiceUpstream[]; rateLimitDegraded: () => boolean }) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ service: 'gateway' });
    this.rateLimitRejections = new Counter({
      name: 'gateway_rate_limit_rejections_total',
      help: 'Requests refused with 429, by the scope of the bucket that was empty',
      labelNames: ['scope'],
      registers,
    });
    this.retries = new Counter({
      name: 'gateway_upstream_retries_total',
      help: 'Retries on another instance (attempted), and retries the retry budget refused (budget_exhausted)',
      labelNames: ['upstream', 'outcome'],
      registers,
    });
    this.ejections = new Counter({
      name: 'gateway_upstream_ejections_total',
      help: 'Instances ejected from balancing after consecutive failures',
      labelNames: ['upstream', 'instance'],
      registers,
    });
    this.bulkheadRejections = new Counter({
      name: 'gateway_bulkhead_rejections_total',
      help: 'Requests answered 503 because their upstream service had its maximum in flight',
      labelNames: ['upstream'],
      registers,
    });
    this.#latency = new Histogram({
      name: 'gateway_upstream_duration_seconds',
      help: 'Time from sending a request upstream to its answer headers, per attempt, by upstream service and status class (error: no answer)',
      labelNames: ['upstream', 'status'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    const perInstance = (
      name: string,
      help: string,
      read: (service: ServiceUpstream, i: ServiceUpstream['instances'][number]) => number,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['upstream', 'instance'],
        registers,
        collect() {
          this.reset();
          for (const service of options.upstreams())
            for (const instance of service.instances)
              this.set(
                { upstream: service.name, instance: instance.origin },
                read(service, instance),
              );
        },
      });
    perInstance(
      'gateway_upstream_circuit_state',
      'Circuit breaker of each instance: 0 closed, 1 half-open, 2 open',
      (_s, i) => CIRCUIT_VALUE[i.circuit],
    );
    perInstance(
      'gateway_upstream_in_flight',
      'Requests in flight to each instance',
      (_s, i) => i.inFlight,
    );
    perInstance(
      'gateway_upstream_instance_ejected',
      '1 while an instance is ejected after consecutive failures',
      (_s, i) => (i.ejected(performance.now()) ? 1 : 0),
    );
    new Gauge({
      name: 'gateway_rate_limit_degraded',
      help: '1 while Redis is unreachable and each gateway replica enforces rate limits alone',
      registers,
      collect() {
        this.set(options.rateLimitDegraded() ? 1 : 0);
      },
    });
  }

  /** `status` 0: no answer (connection error, timeout). */
  observeUpstream(service: string, status: number, seconds: number): void {
    let children = this.#latencyChildren.get(service);
    if (children === undefined) {
      children = STATUS_CLASSES.map((c) => this.#latency.labels(service, c));
      this.#latencyChildren.set(service, children);
    }
    const index = status === 0 ? 0 : Math.min(5, Math.floor(status / 100));
    (children[index] as Histogram.Internal<'upstream' | 'status'>).observe(seconds);
  }
}
