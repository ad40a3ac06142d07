import { defineError } from '@lattice/platform';

/** Every error this service raises on purpose. */
export const WorkerErrors = {
  jobNotFound: defineError('WORKER_JOB_NOT_FOUND', 404, 'Job not found'),
  jobRunning: defineError('WORKER_JOB_RUNNING', 409, 'The job is already running'),
  shuttingDown: defineError('WORKER_SHUTTING_DOWN', 503, 'The worker is shutting down'),
} as const;
