import { performance } from 'node:perf_hooks';
import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/database.ts';
import { circuitsOf } from './circuit-metrics.ts';

/**
 * Metrics read when scraped (nothing on the request path): event loop utilisation and the
 * database connection pool. Labels carry no ids.
 */
export function registerKitMetrics(registry: Registry, resources: { database?: Database }): void {
  const { database } = resources;
  circuitsOf(registry);
  // prom-client's defaults cover event loop delay, heap, GC and handles, but not utilisation.
  let previous = performance.eventLoopUtilization();
  new Gauge({
    name: 'nodejs_eventloop_utilization_ratio',
    help: 'Share of time the event loop was busy since the previous scrape (0 to 1)',
    registers: [registry],
    collect() {
      const now = performance.eventLoopUtilization();
      this.set(performance.eventLoopUtilization(now, previous).utilization);
      previous = now;
    },
  });
  if (database?.pool) {
    const pool = () => database.pool!();
    new Gauge({
      name: 'lattice_db_pool_connections',
      help: 'Database connections of this instance, by state (in_use, idle)',
      labelNames: ['state'],
      registers: [registry],
      collect() {
        const { size, idle } = pool();
        this.set({ state: 'in_use' }, size - idle);
        this.set({ state: 'idle' }, idle);
      },
    });
    new Gauge({
      name: 'lattice_db_pool_waiting',
      help: 'Queries waiting for a free database connection',
      registers: [registry],
      collect() {
        this.set(pool().waiting);
      },
    });
    new Gauge({
      name: 'lattice_db_pool_max',
      help: 'Most database connections this instance opens',
      registers: [registry],
      collect() {
        this.set(pool().max);
      },
    });
  }
}
