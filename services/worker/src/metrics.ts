import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { JobStore } from './data/job-store.ts';
import type { SchedulerObserver } from './scheduler/scheduler.ts';

/**
 * Job metrics on the service's registry: runs and durations as this instance saw them, and
 * each job's last success read from `job_runs` at scrape time, so every replica reports the
 * same value whichever instance ran the job.
 */
export function jobMetrics(registry: Registry, store: JobStore, jobs: string[]): SchedulerObserver {
  const runs = new Counter({
    name: 'worker_job_runs_total',
    help: 'Job runs finished on this instance, by job and outcome',
    labelNames: ['job', 'outcome'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'worker_job_duration_seconds',
    help: 'Duration of job runs on this instance, by job',
    labelNames: ['job'],
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 600],
    registers: [registry],
  });
  new Gauge({
    name: 'worker_job_last_success_timestamp_seconds',
    help: 'When each job last finished ok (Unix seconds), from the shared run history; absent until it has',
    labelNames: ['job'],
    registers: [registry],
    async collect() {
      this.reset();
      let successes: Map<string, Date>;
      try {
        successes = await store.lastSuccesses();
      } catch {
        // A database that does not answer must not fail the whole scrape: the gauge goes
        // absent, which alerts on staleness notice, and readiness reports the database.
        return;
      }
      for (const job of jobs) {
        const at = successes.get(job);
        if (at) this.set({ job }, at.getTime() / 1000);
      }
    },
  });
  // Both outcomes appear from the first scrape, so a rate() over them is defined before a failure.
  for (const job of jobs) for (const outcome of ['ok', 'failed']) runs.inc({ job, outcome }, 0);
  return {
    finished(job, outcome, durationMs) {
      runs.inc({ job, outcome });
      duration.observe({ job }, durationMs / 1000);
    },
  };
}
