import { ConfigError } from '@lattice/platform';
import { scheduleKey } from './config.ts';
import { CronError, parseCron } from './scheduler/cron.ts';
import type { JobDefinition, ScheduledJob } from './scheduler/job.ts';

/** The schedule in force for each job: its WORKER_SCHEDULE_<JOB> key, checked at start. */
export function schedulesFrom(
  config: Record<string, unknown>,
  jobs: JobDefinition[],
): ScheduledJob[] {
  const problems: Array<{ key: string; message: string }> = [];
  const scheduled = jobs.map((definition) => {
    const key = scheduleKey(definition.name);
    const value = config[key];
    const schedule = typeof value === 'string' ? value.trim() : definition.defaultSchedule;
    if (schedule.toLowerCase() === 'off') return { definition, schedule: 'off' };
    try {
      parseCron(schedule);
    } catch (error) {
      if (!(error instanceof CronError)) throw error;
      problems.push({ key, message: error.message });
    }
    return { definition, schedule };
  });
  if (problems.length > 0) throw new ConfigError('worker', problems);
  return scheduled;
}
