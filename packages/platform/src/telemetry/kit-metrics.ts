import { Gauge, type Registry } from 'prom-client';
import type { Database } from '../db/database.ts';

/**
 * Metrics of the kit's own resources that are read when scraped (nothing on the request
 * path): the database connection pool. Labels carry no ids.
 */
export function registerKitMetrics(registry: Registry, resources: { database?: Database }): void {
  const { database } = resources;
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
