-- The scheduler's shared state. Every worker instance reads and claims through these rows, so
-- a job runs on one instance at a time whatever the number of replicas.

-- One row per job: its schedule, when it is next due, and the lease of the instance running it.
-- A lease is taken with a conditional UPDATE (free or expired), so two instances can never both
-- hold it; an instance that dies mid-run loses it when it expires.
CREATE TABLE job_schedules (
  job text PRIMARY KEY,
  -- The cron expression in force, or 'off' when the job only runs on demand.
  schedule text NOT NULL,
  -- NULL when the job is not scheduled.
  next_run_at timestamptz,
  lease_owner text,
  lease_expires_at timestamptz,
  CHECK ((lease_owner IS NULL) = (lease_expires_at IS NULL))
);

-- Every run, scheduled or asked for: when, where, how it ended and why.
CREATE TABLE job_runs (
  id uuid PRIMARY KEY,
  job text NOT NULL,
  trigger text NOT NULL CHECK (trigger IN ('schedule', 'manual')),
  -- The worker instance that ran it.
  runner text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz,
  outcome text CHECK (outcome IN ('ok', 'failed')),
  detail text,
  duration_ms integer,
  CHECK ((finished_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX job_runs_job_started_idx ON job_runs (job, started_at DESC);
-- History pruning finds old runs without scanning by job.
CREATE INDEX job_runs_started_idx ON job_runs (started_at);
