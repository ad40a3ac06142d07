import { ConfigError, type ServiceDefinition } from '@lattice/platform';
import { scheduleKey, type WorkerConfigProperties, workerConfig } from './config.ts';
import { jobStore } from './data/job-store.ts';
import type { WorkerDb } from './data/schema.ts';
import { workerJobs } from './jobs/catalog.ts';
import { serviceCalls } from './jobs/service-calls.ts';
import { jobMetrics } from './metrics.ts';
import { registerJobRoutes } from './routes/job-routes.ts';
import { CronError, parseCron } from './scheduler/cron.ts';
import type { ScheduledJob } from './scheduler/job.ts';
import { Scheduler } from './scheduler/scheduler.ts';

const DAY_MS = 24 * 60 * 60 * 1000;

/** The schedule in force for each job: its WORKER_SCHEDULE_<JOB> key, checked at start. */
function schedulesFrom(
  config: Record<string, unknown>,
  jobs: ReturnType<typeof workerJobs>,
): ScheduledJob[] {
  const problems: Array<{ key: string; message: string }> = [];
  const scheduled = jobs.map((definition) => {
    const key = scheduleKey(definition.name);
    const value = config[key];
    const schedule = typeof value === 'string' ? value.trim() : definition.defaultSchedule;
    if (schedule.toLowerCase() === 'off') return { definition, schedule: 'off' };
    try {
      parseCron(schedule);
    } catch (error) {
      if (!(error instanceof CronError)) throw error;
      problems.push({ key, message: error.message });
    }
    return { definition, schedule };
  });
  if (problems.length > 0) throw new ConfigError('worker', problems);
  return scheduled;
}

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
