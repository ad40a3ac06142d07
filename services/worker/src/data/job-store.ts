import type { Database } from '@lattice/platform';
import type { Selectable } from 'kysely';
import type { JobRunsTable, JobSchedulesTable, WorkerDb } from './schema.ts';

export type JobRun = Selectable<JobRunsTable>;
export type JobScheduleRow = Selectable<JobSchedulesTable>;

export interface Claim {
  job: string;
  trigger: 'schedule' | 'manual';
  runner: string;
  runId: string;
  now: Date;
  leaseExpiresAt: Date;
  /** For a scheduled claim: the next due time written with the claim (null: unscheduled). */
  nextRunAt?: Date | null;
}

/** A run of a job whose runner vanished before finishing it, closed when the job is next claimed. */
export const ABANDONED_DETAIL =
  'abandoned: the worker instance running it stopped before finishing (its lease expired)';

/** The scheduler's table access; all times come from the caller's clock. */
export function jobStore(database: Database<WorkerDb>) {
  const db = database.db;
  return {
    /**
     * Writes each job's schedule; keeps its next due time when the schedule is unchanged, so
     * a restart neither skips nor repeats a run, and resets it when the schedule changed.
     */
    async syncSchedules(
      jobs: Array<{ job: string; schedule: string; nextRunAt: Date | null }>,
    ): Promise<void> {
      for (const job of jobs) {
        await db
          .insertInto('job_schedules')
          .values({ job: job.job, schedule: job.schedule, next_run_at: job.nextRunAt })
          .onConflict((conflict) =>
            conflict.column('job').doUpdateSet((eb) => ({
              schedule: eb.ref('excluded.schedule'),
              next_run_at: eb
                .case()
                .when('job_schedules.schedule', '=', eb.ref('excluded.schedule'))
                .then(eb.ref('job_schedules.next_run_at'))
                .else(eb.ref('excluded.next_run_at'))
                .end(),
            })),
          )
          .execute();
      }
    },

    /** Jobs due at `now` whose lease is free; only candidates, the claim decides. */
    async due(now: Date): Promise<string[]> {
      const rows = await db
        .selectFrom('job_schedules')
        .select('job')
        .where('next_run_at', '<=', now)
        .where((eb) =>
          eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', now)]),
        )
        .execute();
      return rows.map((row) => row.job);
    },

    /**
     * Takes the job's lease and opens its run, in one transaction; false when another run
     * holds the lease (or, for a scheduled claim, another instance already took this due time).
     * The conditional UPDATE is the whole coordination: PostgreSQL and PGlite both let exactly
     * one of two concurrent updates of the row match its WHERE.
     */
    async claim(claim: Claim): Promise<boolean> {
      return database.transaction(async (trx) => {
        let update = trx
          .updateTable('job_schedules')
          .set({ lease_owner: claim.runner, lease_expires_at: claim.leaseExpiresAt })
          .where('job', '=', claim.job)
          .where((eb) =>
            eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<=', claim.now)]),
          );
        if (claim.trigger === 'schedule') {
          // Due times missed while no worker ran collapse into this one run: the next due
          // time is computed from now, not from the one that was missed.
          update = update
            .set({ next_run_at: claim.nextRunAt ?? null })
            .where('next_run_at', '<=', claim.now);
        }
        const taken = await update.returning('job').executeTakeFirst();
        if (!taken) return false;
        await trx
          .updateTable('job_runs')
          .set({ finished_at: claim.now, outcome: 'failed', detail: ABANDONED_DETAIL })
          .where('job', '=', claim.job)
          .where('finished_at', 'is', null)
          .execute();
        await trx
          .insertInto('job_runs')
          .values({
            id: claim.runId,
            job: claim.job,
            trigger: claim.trigger,
            runner: claim.runner,
            started_at: claim.now,
          })
          .execute();
        return true;
      });
    },

    /** Records how the run ended and gives the lease back, if this runner still holds it. */
    async finish(
      runId: string,
      job: string,
      runner: string,
      result: { finishedAt: Date; outcome: 'ok' | 'failed'; detail: string; durationMs: number },
    ): Promise<void> {
      await database.transaction(async (trx) => {
        await trx
          .updateTable('job_runs')
          .set({
            finished_at: result.finishedAt,
            outcome: result.outcome,
            detail: result.detail,
            duration_ms: result.durationMs,
          })
          .where('id', '=', runId)
          .where('finished_at', 'is', null)
          .execute();
        await trx
          .updateTable('job_schedules')
          .set({ lease_owner: null, lease_expires_at: null })
          .where('job', '=', job)
          .where('lease_owner', '=', runner)
          .execute();
      });
    },

    async schedules(): Promise<JobScheduleRow[]> {
      return db.selectFrom('job_schedules').selectAll().execute();
    },

    /** The latest finished run of each job. */
    async lastFinishedRuns(): Promise<Map<string, JobRun>> {
      const rows = await db
        .selectFrom('job_runs')
        .selectAll()
        .distinctOn('job')
        .where('finished_at', 'is not', null)
        .orderBy('job')
        .orderBy('started_at', 'desc')
        .execute();
      return new Map(rows.map((row) => [row.job, row]));
    },

    /** When each job last succeeded (for the metrics scrape). */
    async lastSuccesses(): Promise<Map<string, Date>> {
      const rows = await db
        .selectFrom('job_runs')
        .select(['job', (eb) => eb.fn.max('finished_at').as('at')])
        .where('outcome', '=', 'ok')
        .groupBy('job')
        .execute();
      return new Map(rows.flatMap((row) => (row.at ? [[row.job, new Date(row.at)]] : [])));
    },

    async run(id: string): Promise<JobRun | undefined> {
      return db.selectFrom('job_runs').selectAll().where('id', '=', id).executeTakeFirst();
    },

    async recentRuns(job: string, limit: number): Promise<JobRun[]> {
      return db
        .selectFrom('job_runs')
        .selectAll()
        .where('job', '=', job)
        .orderBy('started_at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
    },

    /** Deletes finished runs that started before `before`; resolves with how many. */
    async deleteRunsBefore(before: Date): Promise<number> {
      const result = await db
        .deleteFrom('job_runs')
        .where('started_at', '<', before)
        .where('finished_at', 'is not', null)
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export type JobStore = ReturnType<typeof jobStore>;
