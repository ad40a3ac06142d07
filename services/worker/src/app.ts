import type { ServiceDefinition } from '@lattice/platform';
import { type WorkerConfigProperties, workerConfig } from './config.ts';
import { jobStore } from './data/job-store.ts';
import type { WorkerDb } from './data/schema.ts';
import { workerJobs } from './jobs/catalog.ts';
import { serviceCalls } from './jobs/service-calls.ts';
import { jobMetrics } from './metrics.ts';
import { registerJobRoutes } from './routes/job-routes.ts';
import { Scheduler } from './scheduler/scheduler.ts';
import { schedulesFrom } from './schedules.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Background jobs on cron schedules, one run at a time across instances, each calling the
 * owning service's internal API; the runs are recorded and shown to platform admins.
 */
export const service: ServiceDefinition<WorkerConfigProperties, WorkerDb> = {
  name: 'worker',
  description: 'Scheduled jobs (payment timeouts, reminders, retention, messaging-table pruning)',
  config: workerConfig,
  migrations: new URL('../migrations/', import.meta.url),
  async routes(app, { config, db, discovery, auth, metrics, log, onClose }) {
    const calls = serviceCalls({ discovery, auth, timeoutMs: config.WORKER_CALL_TIMEOUT_MS });
    const jobs = schedulesFrom(config, workerJobs(calls));
    const store = jobStore(db);
    const scheduler = new Scheduler({
      store,
      jobs,
      tickMs: config.WORKER_TICK_MS,
      leaseMarginMs: config.WORKER_LEASE_MARGIN_MS,
      historyMs: config.WORKER_RUN_HISTORY_DAYS * DAY_MS,
      log,
      observer: jobMetrics(
        metrics,
        store,
        jobs.map((job) => job.definition.name),
      ),
    });
    registerJobRoutes(app, scheduler, auth, store);
    await scheduler.sync();
    if (config.WORKER_JOBS_ENABLED) scheduler.start();
    // Cleanups run last-registered first: runs stop (and are recorded) before clients close.
    onClose(() => calls.close());
    onClose(() => scheduler.stop());
  },
};
