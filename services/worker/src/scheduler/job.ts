/** How a run ended, in words an operator reads in GET /jobs and the run history. */
export interface JobResult {
  /** Default 'ok'. A job that did part of its work (some services failed) says 'failed'. */
  outcome?: 'ok' | 'failed';
  detail: string;
}

export interface JobDefinition {
  /** kebab-case; the URL segment of POST /jobs/:name/run and the metrics label. */
  name: string;
  description: string;
  /** Cron expression (5 fields, UTC) used unless configuration overrides it. */
  defaultSchedule: string;
  /**
   * A run still going after this long is recorded as failed; the lease outlives it by a
   * margin, so no other instance starts the job while this run may still be working.
   */
  timeoutMs: number;
  /** Throws (or resolves with outcome 'failed') to fail the run; `signal` aborts at timeout or shutdown. */
  run(signal: AbortSignal): Promise<JobResult>;
}

/** A job as the scheduler runs it: its definition and the schedule in force. */
export interface ScheduledJob {
  definition: JobDefinition;
  /** The cron expression in force, or 'off' (runs only when asked). */
  schedule: string;
}
