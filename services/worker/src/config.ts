import { Type } from 'typebox';

/** `WORKER_SCHEDULE_<JOB>`: the job's cron expression (5 fields, UTC), or `off`. */
const schedule = (job: string, defaultValue: string) =>
  Type.String({
    minLength: 1,
    default: defaultValue,
    description: `Cron schedule (5 fields, UTC; macros like @daily) of the ${job} job, or "off" to run it only on demand`,
  });

export const workerConfig = Type.Object({
  WORKER_JOBS_ENABLED: Type.Boolean({
    default: true,
    description:
      'Run jobs on their schedules; false leaves this instance serving the API and on-demand runs only',
  }),
  WORKER_SCHEDULE_ORDER_PAYMENT_TIMEOUTS: schedule('order-payment-timeouts', '* * * * *'),
  WORKER_SCHEDULE_TODO_REMINDERS: schedule('todo-reminders', '* * * * *'),
  WORKER_SCHEDULE_PURGE_DELETED_TODOS: schedule('purge-deleted-todos', '40 3 * * *'),
  WORKER_SCHEDULE_PRUNE_MESSAGING_TABLES: schedule('prune-messaging-tables', '17 * * * *'),
  WORKER_TICK_MS: Type.Integer({
    minimum: 50,
    default: 1_000,
    description: 'How often an instance looks for due jobs (one indexed query)',
  }),
  WORKER_LEASE_MARGIN_MS: Type.Integer({
    minimum: 1_000,
    default: 30_000,
    description:
      "How long a job's lease outlives its timeout, so no other instance starts it while a run may still be working",
  }),
  WORKER_CALL_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 30_000,
    description: "Longest wait for one call to another service's internal route",
  }),
  WORKER_RUN_HISTORY_DAYS: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Finished job runs older than this are deleted from job_runs',
  }),
});

export type WorkerConfigProperties = (typeof workerConfig)['properties'];

/** The config key holding `job`'s schedule: `WORKER_SCHEDULE_` + the name in upper snake case. */
export function scheduleKey(job: string): string {
  return `WORKER_SCHEDULE_${job.toUpperCase().replaceAll('-', '_')}`;
}
