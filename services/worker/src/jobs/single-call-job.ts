import type { JobDefinition } from '../scheduler/job.ts';
import { answerProblem, ServiceCallError, type ServiceCalls } from './service-calls.ts';

/**
 * A job that is one POST to one service's internal route, answered with a count: the run is
 * ok with `describe(count)` as its detail, failed with the service's own words otherwise.
 */
export function singleCallJob(options: {
  name: string;
  description: string;
  defaultSchedule: string;
  timeoutMs?: number;
  calls: ServiceCalls;
  service: string;
  path: string;
  /** The member of the answer holding the count, e.g. `expired`. */
  countField: string;
  describe: (count: number) => string;
}): JobDefinition {
  return {
    name: options.name,
    description: options.description,
    defaultSchedule: options.defaultSchedule,
    timeoutMs: options.timeoutMs ?? 5 * 60_000,
    async run() {
      const answer = await options.calls.post<Record<string, unknown>>(
        options.service,
        options.path,
        {},
      );
      if (answer.status !== 200)
        throw new ServiceCallError(options.service, `${options.path} ${answerProblem(answer)}`);
      const count = answer.body?.[options.countField];
      if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
        throw new ServiceCallError(
          options.service,
          `${options.path} answered without a count in "${options.countField}"`,
        );
      }
      return { detail: options.describe(count) };
    },
  };
}
