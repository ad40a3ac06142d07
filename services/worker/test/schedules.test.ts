import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '@lattice/platform';
import { scheduleKey, workerConfig } from '../src/config.ts';
import { workerJobs } from '../src/jobs/catalog.ts';
import type { ServiceCalls } from '../src/jobs/service-calls.ts';
import { schedulesFrom } from '../src/schedules.ts';

const noCalls: ServiceCalls = {
  post: () => Promise.reject(new Error('not called')),
  services: () => [],
  close: async () => {},
};
const jobs = workerJobs(noCalls);
const config = (env: Record<string, string> = {}) => loadConfig('worker', workerConfig, env);

describe('job schedules from configuration', () => {
  test("every job has its WORKER_SCHEDULE_<JOB> key, defaulting to the job's own schedule", () => {
    const schedules = schedulesFrom(config(), jobs);
    for (const { definition, schedule } of schedules) {
      assert.ok(scheduleKey(definition.name) in workerConfig.properties, definition.name);
      assert.equal(schedule, definition.defaultSchedule);
    }
    assert.deepEqual(
      jobs.map((job) => job.name),
      ['order-payment-timeouts', 'todo-reminders', 'purge-deleted-todos', 'prune-messaging-tables'],
    );
  });

  test('an override replaces the schedule; "off" leaves the job on demand only', () => {
    const schedules = schedulesFrom(
      config({
        WORKER_SCHEDULE_PURGE_DELETED_TODOS: '@daily',
        WORKER_SCHEDULE_TODO_REMINDERS: 'OFF',
      }),
      jobs,
    );
    const of = (name: string) => schedules.find((s) => s.definition.name === name)?.schedule;
    assert.equal(of('purge-deleted-todos'), '@daily');
    assert.equal(of('todo-reminders'), 'off');
    assert.equal(of('order-payment-timeouts'), '* * * * *');
  });

  test('malformed schedules stop the start, naming each key and its problem', () => {
    assert.throws(
      () =>
        schedulesFrom(
          config({
            WORKER_SCHEDULE_TODO_REMINDERS: '*/0 * * * *',
            WORKER_SCHEDULE_PRUNE_MESSAGING_TABLES: 'hourly',
          }),
          jobs,
        ),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.problems.length === 2 &&
        error.message.includes(
          'WORKER_SCHEDULE_TODO_REMINDERS: "*/0 * * * *" is not a cron expression: minute step "0" must be 1 or more',
        ) &&
        error.message.includes('WORKER_SCHEDULE_PRUNE_MESSAGING_TABLES'),
    );
  });
});
