import type { ServiceApp, ServiceContext } from '@lattice/platform';
import { Type } from 'typebox';
import type { JobRun } from '../data/job-store.ts';
import { WorkerErrors } from '../errors.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';

const BASE = '/api/v1/worker/jobs';
const tags = ['worker'];
const description = 'Requires `Authorization: Bearer <accessToken>` with the platform-admin role';

const RunSummary = Type.Object({
  id: Type.String({ format: 'uuid' }),
  trigger: Type.Union([Type.Literal('schedule'), Type.Literal('manual')]),
  startedAt: Type.String({ format: 'date-time' }),
  finishedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  outcome: Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Null()]),
  detail: Type.Union([Type.String(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
});

const JobItem = Type.Object({
  name: Type.String(),
  description: Type.String(),
  schedule: Type.String({ description: 'Cron expression in force (UTC), or "off"' }),
  lastRun: Type.Union([RunSummary, Type.Null()], { description: 'The latest finished run' }),
  nextRunAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  running: Type.Boolean(),
});

const JobParams = Type.Object({ name: Type.String({ pattern: '^[a-z0-9-]{1,100}$' }) });
const RunQuery = Type.Object({
  wait: Type.Optional(
    Type.Boolean({ description: 'Answer 200 with the finished run instead of 202 at its start' }),
  ),
});
const RunsQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

function runView(run: JobRun) {
  return {
    id: run.id,
    trigger: run.trigger,
    startedAt: run.started_at.toISOString(),
    finishedAt: run.finished_at?.toISOString() ?? null,
    outcome: run.outcome,
    detail: run.detail,
    durationMs: run.duration_ms,
  };
}

/** The operator's view of the scheduler: every job with its last and next run; run one now. */
export function registerJobRoutes(
  app: ServiceApp,
  scheduler: Scheduler,
  auth: ServiceContext['auth'],
  history: { recentRuns(job: string, limit: number): Promise<JobRun[]> },
): void {
  const onRequest = [auth.authenticate, auth.requireRole('platform-admin')];

  app.get(
    BASE,
    {
      onRequest,
      schema: {
        tags,
        summary: 'Every job: schedule, last finished run, next run, whether it is running',
        description,
        response: { 200: Type.Object({ items: Type.Array(JobItem) }) },
      },
    },
    async () => ({
      items: (await scheduler.status()).map((job) => ({
        name: job.name,
        description: job.description,
        schedule: job.schedule,
        lastRun: job.lastRun && runView(job.lastRun),
        nextRunAt: job.nextRunAt?.toISOString() ?? null,
        running: job.running,
      })),
    }),
  );

  app.get(
    `${BASE}/:name/runs`,
    {
      onRequest,
      schema: {
        tags,
        summary: "A job's latest runs, newest first",
        description,
        params: JobParams,
        querystring: RunsQuery,
        response: { 200: Type.Object({ items: Type.Array(RunSummary) }) },
      },
    },
    async (request) => {
      if (!scheduler.has(request.params.name))
        throw WorkerErrors.jobNotFound(`There is no job named "${request.params.name}"`);
      const runs = await history.recentRuns(request.params.name, request.query.limit ?? 20);
      return { items: runs.map(runView) };
    },
  );

  app.post(
    `${BASE}/:name/run`,
    {
      onRequest,
      schema: {
        tags,
        summary:
          'Run a job now: 202 when it started (200 with ?wait=true when it ended); 409 while it runs',
        description,
        params: JobParams,
        querystring: RunQuery,
        response: { 200: RunSummary, 202: RunSummary },
      },
    },
    async (request, reply) => {
      const { run, finished } = await scheduler.runNow(request.params.name);
      if (request.query.wait) return runView(await finished);
      reply.code(202);
      return runView(run);
    },
  );
}
