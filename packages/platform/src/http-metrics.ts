import type { Registry } from 'prom-client';
import { isProbe } from './http/probes.ts';

/** Upper bounds (seconds) of the request duration histogram's buckets. */
export const DURATION_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

/** One method on one route template: answers by status, and the duration histogram. */
class RouteStats {
  readonly byStatus = new Map<number, number>();
  // Not cumulative: counts[i] is the requests whose duration is in bucket i; the last is +Inf.
  readonly counts = new Float64Array(DURATION_BUCKETS.length + 1);
  sum = 0;

  record(status: number, seconds: number): void {
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]!) bucket++;
    this.counts[bucket]!++;
    this.sum += seconds;
  }
}

interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

/**
 * RED metrics per route template, kept as plain numbers and turned into Prometheus series only
 * when /metrics is scraped. prom-client's own counter and histogram build and hash a label
 * string on every observation: on a fast route that was ~10% of the request's cost. The series
 * are the same: `http_server_requests_total{method,route,status}` and
 * `http_server_request_duration_seconds{method,route}`.
 */
export class HttpMetrics {
  // Route template, then method: two lookups of strings Fastify and the HTTP parser reuse,
  // instead of building a key per request.
  readonly #routes = new Map<string, Map<string, RouteStats>>();

  /** `route` undefined: no route matched, counted under one label instead of the raw path. */
  record(method: string, route: string | undefined, status: number, seconds: number): void {
    const template = route ?? 'unmatched';
    let methods = this.#routes.get(template);
    if (!methods) {
      if (isProbe(template)) return;
      methods = new Map();
      this.#routes.set(template, methods);
    }
    let stats = methods.get(method);
    if (!stats) {
      stats = new RouteStats();
      methods.set(method, stats);
    }
    stats.record(status, seconds);
  }

  /** Adds the two series to `registry`, read from these counts at each scrape. */
  registerIn(registry: Registry): void {
    registry.registerMetric(
      this.#metric(
        'http_server_requests_total',
        'HTTP requests answered, by method, route template and status',
        'counter',
        () => this.#requestValues(),
      ),
    );
    registry.registerMetric(
      this.#metric(
        'http_server_request_duration_seconds',
        'Time to answer HTTP requests, by method and route template',
        'histogram',
        () => this.#durationValues(),
      ),
    );
  }

  #metric(name: string, help: string, type: 'counter' | 'histogram', values: () => MetricValue[]) {
    const metric = {
      name,
      help,
      type,
      aggregator: 'sum' as const,
      get: async () => ({ name, help, type, aggregator: 'sum' as const, values: values() }),
      reset: () => this.#routes.clear(),
    };
    return metric as unknown as Parameters<Registry['registerMetric']>[0];
  }

  #requestValues(): MetricValue[] {
    const values: MetricValue[] = [];
    for (const [route, methods] of this.#routes)
      for (const [method, stats] of methods)
        for (const [status, count] of stats.byStatus)
          values.push({ labels: { method, route, status: String(status) }, value: count });
    return values;
  }

  #durationValues(): MetricValue[] {
    const name = 'http_server_request_duration_seconds';
    const values: MetricValue[] = [];
    for (const [route, methods] of this.#routes)
      for (const [method, stats] of methods) {
        let cumulative = 0;
        for (let i = 0; i <= DURATION_BUCKETS.length; i++) {
          cumulative += stats.counts[i]!;
          values.push({
            labels: { method, route, le: DURATION_BUCKETS[i] ?? '+Inf' },
            value: cumulative,
            metricName: `${name}_bucket`,
          });
        }
        values.push({ labels: { method, route }, value: stats.sum, metricName: `${name}_sum` });
        values.push({ labels: { method, route }, value: cumulative, metricName: `${name}_count` });
      }
    return values;
  }
}
