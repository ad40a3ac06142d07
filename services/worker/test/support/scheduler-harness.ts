import { fileURLToPath } from 'node:url';
import {
  type Database,
  migrate,
  openPostgresDatabase,
  outboxMigrations,
  readMigrations,
} from '@lattice/platform';
import {
  createTestDatabase,
  type DatabaseKind,
  needs,
  type TestDatabase,
  testPostgresUrl,
} from '@lattice/platform/testing';
import { jobStore } from '../../src/data/job-store.ts';
import type { WorkerDb } from '../../src/data/schema.ts';
import type { JobDefinition, JobResult, ScheduledJob } from '../../src/scheduler/job.ts';
import { Scheduler, type SchedulerOptions } from '../../src/scheduler/scheduler.ts';

export const databases: Array<{ kind: DatabaseKind; skip: string | false }> = [
  { kind: 'pglite', skip: false },
  { kind: 'postgres', skip: needs('postgres') },
];

const silent = { info() {}, warn() {}, error() {} };

/** A clock the test moves by hand, shared by every scheduler of a test. */
export interface Clock {
  now: Date;
  advance(ms: number): void;
}

export function clockAt(iso: string): Clock {
  const clock: Clock = {
    now: new Date(iso),
    advance: (ms) => {
      clock.now = new Date(clock.now.getTime() + ms);
    },
  };
  return clock;
}

/** The worker's migrated database, and a second connection to it as another instance would have. */
export interface WorkerDatabases {
  first: Database<WorkerDb>;
  /** PGlite: the same connection (one process); PostgreSQL: a pool of its own. */
  second: Database<WorkerDb>;
  cleanup(): Promise<void>;
}

export async function workerDatabases(kind: DatabaseKind): Promise<WorkerDatabases> {
  const test: TestDatabase = await createTestDatabase('worker', kind);
  const own = await readMigrations(fileURLToPath(new URL('../../migrations/', import.meta.url)));
  await migrate(test.database, [...outboxMigrations, ...own]);
  let second: Database = test.database;
  if (kind === 'postgres') {
    const url = new URL(testPostgresUrl());
    url.pathname = `/${test.name}`;
    second = await openPostgresDatabase({
      service: 'worker',
      serverUrl: testPostgresUrl(),
      databaseUrl: url.toString(),
      poolMax: 3,
    });
  }
  return {
    first: test.database,
    second,
    cleanup: async () => {
      if (second !== test.database) await second.close();
      await test.cleanup();
    },
  };
}

/** A job whose runs the test can count, hold open and make fail. */
export interface ProbeJob extends JobDefinition {
  runs: number;
  /** Runs wait for this while it is set. */
  gate: Promise<void> | undefined;
  result: () => JobResult;
}

export function probeJob(
  name: string,
  overrides: Partial<Pick<JobDefinition, 'timeoutMs'>> & { result?: () => JobResult } = {},
): ProbeJob {
  const job: ProbeJob = {
    name,
    description: `test job ${name}`,
    defaultSchedule: '* * * * *',
    timeoutMs: overrides.timeoutMs ?? 60_000,
    runs: 0,
    gate: undefined,
    result: overrides.result ?? (() => ({ detail: `${name} done` })),
    async run() {
      job.runs++;
      await job.gate;
      return job.result();
    },
  };
  return job;
}

/** An open gate and the function that opens it. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

export function scheduler(
  database: Database<WorkerDb>,
  jobs: Array<JobDefinition | ScheduledJob>,
  clock: Clock,
  options: Partial<SchedulerOptions> = {},
): Scheduler {
  return new Scheduler({
    store: jobStore(database),
    jobs: jobs.map((job) =>
      'definition' in job ? job : { definition: job, schedule: job.defaultSchedule },
    ),
    tickMs: 60_000,
    leaseMarginMs: 1_000,
    now: () => clock.now,
    log: silent,
    ...options,
  });
}

export async function runsOf(database: Database<WorkerDb>, job: string) {
  return database.db
    .selectFrom('job_runs')
    .selectAll()
    .where('job', '=', job)
    .orderBy('started_at')
    .execute();
}
