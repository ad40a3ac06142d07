import type { ColumnType } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface JobSchedulesTable {
  job: string;
  schedule: string;
  next_run_at: NullableTimestamp;
  lease_owner: string | null;
  lease_expires_at: NullableTimestamp;
}

export interface JobRunsTable {
  id: string;
  job: string;
  trigger: 'schedule' | 'manual';
  runner: string;
  started_at: Timestamp;
  finished_at: NullableTimestamp;
  outcome: 'ok' | 'failed' | null;
  detail: string | null;
  duration_ms: number | null;
}

export interface WorkerDb {
  job_schedules: JobSchedulesTable;
  job_runs: JobRunsTable;
}
