import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { JobRun, JobStore } from '../data/job-store.ts';
import { WorkerErrors } from '../errors.ts';
import { type CronSchedule, parseCron } from './cron.ts';
import type { JobResult, ScheduledJob } from './job.ts';

export interface SchedulerObserver {
  /** A run ended (ok or failed), on this instance. */
  finished(job: string, outcome: 'ok' | 'failed', durationMs: number): void;
}

export interface SchedulerOptions {
  store: JobStore;
  jobs: ScheduledJob[];
  /** This instance's name in leases and runs. */
  runner?: string;
  /** How often due jobs are looked for. */
  tickMs: number;
  /** The lease outlives a job's timeout by this much. */
  leaseMarginMs?: number;
  /** Finished runs older than this are deleted (checked hourly). */
  historyMs?: number;
  now?: () => Date;
  log: Pick<FastifyBaseLogger, 'info' | 'warn' | 'error'>;
  observer?: SchedulerObserver;
}

export interface JobStatus {
  name: string;
  description: string;
  schedule: string;
  lastRun: JobRun | null;
  nextRunAt: Date | null;
  running: boolean;
}

const HOUR_MS = 3_600_000;

/**
 * Runs jobs on their cron schedules, one run of a job at a time across every instance that
 * shares the database: a run starts only after its instance took the job's lease (see
 * `JobStore.claim`). Each run is recorded in `job_runs` with its outcome and detail; a failing
 * job never stops the others.
 */
export class Scheduler {
  readonly runner: string;
  readonly #store: JobStore;
  readonly #jobs: Map<string, ScheduledJob & { cron: CronSchedule | undefined }>;
  readonly #tickMs: number;
  readonly #leaseMarginMs: number;
  readonly #historyMs: number;
  readonly #now: () => Date;
  readonly #log: SchedulerOptions['log'];
  readonly #observer: SchedulerObserver | undefined;
  readonly #inFlight = new Map<string, { abort: AbortController; done: Promise<void> }>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #stopped = false;
  #lastHistoryPrune = 0;

  constructor(options: SchedulerOptions) {
    this.runner = options.runner ?? `worker-${randomUUID().slice(0, 8)}`;
    this.#store = options.store;
    this.#jobs = new Map(
      options.jobs.map((job) => [
        job.definition.name,
        { ...job, cron: job.schedule === 'off' ? undefined : parseCron(job.schedule) },
      ]),
    );
    this.#tickMs = options.tickMs;
    this.#leaseMarginMs = options.leaseMarginMs ?? 30_000;
    this.#historyMs = options.historyMs ?? 30 * 24 * HOUR_MS;
    this.#now = options.now ?? (() => new Date());
    this.#log = options.log;
    this.#observer = options.observer;
  }

  /** Writes the schedules in force (keeping due times that did not change). */
  async sync(): Promise<void> {
    const now = this.#now();
    await this.#store.syncSchedules(
      [...this.#jobs.values()].map((job) => ({
        job: job.definition.name,
        schedule: job.schedule,
        nextRunAt: job.cron ? job.cron.next(now) : null,
      })),
    );
  }

  /** Starts looking for due jobs every tick. */
  start(): void {
    if (this.#timer || this.#stopped) return;
    this.#timer = setInterval(() => {
      // A slow tick (loaded database) is not stacked under the next one.
      this.#ticking ??= this.tick()
        .catch((error: unknown) => this.#log.warn({ err: error }, 'scheduler tick failed'))
        .finally(() => {
          this.#ticking = undefined;
        });
    }, this.#tickMs);
    this.#timer.unref();
  }

  /** One look for due jobs: claims each and starts its run; resolves once the claims are made. */
  async tick(): Promise<void> {
    const now = this.#now();
    for (const name of await this.#store.due(now)) {
      const job = this.#jobs.get(name);
      // A row of a job this build no longer has, or a run of ours still going.
      if (!job?.cron || this.#inFlight.has(name) || this.#stopped) continue;
      try {
        await this.#start(name, 'schedule', job.cron.next(now));
      } catch (error) {
        // One job's claim failing (a lost connection) must not keep the others from starting.
        this.#log.warn(
          { err: error, job: name },
          'claiming a due job failed; the next tick retries',
        );
      }
    }
    if (now.getTime() - this.#lastHistoryPrune >= HOUR_MS) {
      this.#lastHistoryPrune = now.getTime();
      const deleted = await this.#store.deleteRunsBefore(new Date(now.getTime() - this.#historyMs));
      if (deleted > 0) this.#log.info({ deleted }, 'old job runs deleted');
    }
  }

  /**
   * Starts a run now, whatever the schedule; resolves with the opened run and a promise of
   * its end. 404 for an unknown job, 409 while a run of it is going (here or elsewhere).
   */
  async runNow(name: string): Promise<{ run: JobRun; finished: Promise<JobRun> }> {
    if (!this.#jobs.has(name)) throw WorkerErrors.jobNotFound(`There is no job named "${name}"`);
    if (this.#stopped) throw WorkerErrors.shuttingDown('The worker is shutting down');
    const started = await this.#start(name, 'manual');
    if (!started) {
      throw WorkerErrors.jobRunning(
        `A run of "${name}" is in progress; try again when it has finished`,
      );
    }
    const run = await this.#store.run(started.runId);
    if (!run) throw new Error(`run ${started.runId} vanished`);
    return {
      run,
      finished: started.done.then(async () => (await this.#store.run(started.runId)) ?? run),
    };
  }

  async status(): Promise<JobStatus[]> {
    const now = this.#now();
    const [schedules, lastRuns] = await Promise.all([
      this.#store.schedules(),
      this.#store.lastFinishedRuns(),
    ]);
    const rows = new Map(schedules.map((row) => [row.job, row]));
    return [...this.#jobs.values()].map(({ definition, schedule }) => {
      const row = rows.get(definition.name);
      return {
        name: definition.name,
        description: definition.description,
        schedule,
        lastRun: lastRuns.get(definition.name) ?? null,
        nextRunAt: row?.next_run_at ?? null,
        running: Boolean(row?.lease_expires_at && row.lease_expires_at > now),
      };
    });
  }

  has(name: string): boolean {
    return this.#jobs.has(name);
  }

  /** Stops scheduling, aborts the runs in flight and waits until they are recorded. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    for (const run of this.#inFlight.values()) run.abort.abort(new Error('the worker is stopping'));
    await Promise.all([...this.#inFlight.values()].map((run) => run.done));
  }

  /** Waits for the runs in flight on this instance (tests). */
  async idle(): Promise<void> {
    await this.#ticking;
    await Promise.all([...this.#inFlight.values()].map((run) => run.done));
  }

  async #start(
    name: string,
    trigger: 'schedule' | 'manual',
    nextRunAt?: Date,
  ): Promise<{ runId: string; done: Promise<void> } | undefined> {
    const job = this.#jobs.get(name)!;
    const now = this.#now();
    const runId = randomUUID();
    const claimed = await this.#store.claim({
      job: name,
      trigger,
      runner: this.runner,
      runId,
      now,
      leaseExpiresAt: new Date(now.getTime() + job.definition.timeoutMs + this.#leaseMarginMs),
      nextRunAt: nextRunAt ?? null,
    });
    if (!claimed) return undefined;
    const abort = new AbortController();
    const done = this.#execute(job, runId, now, abort).finally(() => this.#inFlight.delete(name));
    this.#inFlight.set(name, { abort, done });
    return { runId, done };
  }

  async #execute(
    job: ScheduledJob,
    runId: string,
    startedAt: Date,
    abort: AbortController,
  ): Promise<void> {
    const { name, timeoutMs } = job.definition;
    const started = performance.now();
    const timeout = setTimeout(
      () => abort.abort(new Error(`timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    let result: Required<JobResult>;
    try {
      const outcome = await Promise.race([
        job.definition.run(abort.signal),
        new Promise<never>((_, reject) => {
          const fail = () => reject(abort.signal.reason);
          if (abort.signal.aborted) fail();
          abort.signal.addEventListener('abort', fail, { once: true });
        }),
      ]);
      result = { outcome: outcome.outcome ?? 'ok', detail: outcome.detail };
    } catch (error) {
      result = { outcome: 'failed', detail: describe(error) };
    } finally {
      clearTimeout(timeout);
    }
    const durationMs = Math.round(performance.now() - started);
    const log = { job: name, runId, outcome: result.outcome, detail: result.detail, durationMs };
    if (result.outcome === 'ok') this.#log.info(log, 'job run finished');
    else this.#log.warn(log, 'job run failed');
    this.#observer?.finished(name, result.outcome, durationMs);
    try {
      await this.#store.finish(runId, name, this.runner, {
        finishedAt: new Date(startedAt.getTime() + durationMs),
        outcome: result.outcome,
        detail: result.detail,
        durationMs,
      });
    } catch (error) {
      // The lease expires on its own; the run is closed as abandoned at the next claim.
      this.#log.error({ err: error, job: name, runId }, 'recording the end of a job run failed');
    }
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
