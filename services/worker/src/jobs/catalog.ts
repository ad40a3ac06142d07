import type { JobDefinition } from '../scheduler/job.ts';
import { pruneMessagingTablesJob } from './prune-messaging-tables.ts';
import type { ServiceCalls } from './service-calls.ts';
import { singleCallJob } from './single-call-job.ts';

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** Every job the worker knows, each calling the owning service's own API. */
export function workerJobs(calls: ServiceCalls): JobDefinition[] {
  return [
    singleCallJob({
      name: 'order-payment-timeouts',
      description: 'Cancels orders still waiting for payment past the orders service timeout',
      defaultSchedule: '* * * * *',
      timeoutMs: 60_000,
      calls,
      service: 'orders',
      path: '/internal/orders/expire-pending',
      countField: 'expired',
      describe: (n) => `expired ${plural(n, 'pending order', 'pending orders')}`,
    }),
    singleCallJob({
      name: 'todo-reminders',
      description: 'Sends the reminders of todos that came due',
      defaultSchedule: '* * * * *',
      timeoutMs: 60_000,
      calls,
      service: 'notifications',
      path: '/internal/notifications/due-reminders',
      countField: 'sent',
      describe: (n) => `sent ${plural(n, 'reminder', 'reminders')}`,
    }),
    singleCallJob({
      name: 'purge-deleted-todos',
      description: 'Removes todos deleted longer ago than the todos retention period',
      defaultSchedule: '40 3 * * *',
      timeoutMs: 10 * 60_000,
      calls,
      service: 'todos',
      path: '/internal/todos/purge-deleted',
      countField: 'purged',
      describe: (n) => `purged ${plural(n, 'deleted todo', 'deleted todos')}`,
    }),
    pruneMessagingTablesJob(calls),
  ];
}
