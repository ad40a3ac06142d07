import { MAINTENANCE_PRUNE_PATH, type PruneCounts } from '@lattice/platform';
import type { JobDefinition, JobResult } from '../scheduler/job.ts';
import { answerProblem, type ServiceCalls } from './service-calls.ts';

type Visit =
  | { service: string; kind: 'pruned'; counts: PruneCounts }
  | { service: string; kind: 'skipped' }
  | { service: string; kind: 'failed'; problem: string };

async function visit(calls: ServiceCalls, service: string): Promise<Visit> {
  try {
    const answer = await calls.post<PruneCounts>(service, MAINTENANCE_PRUNE_PATH, {});
    // The kit registers the route only on services that have a database.
    if (answer.status === 404) return { service, kind: 'skipped' };
    if (answer.status !== 200) return { service, kind: 'failed', problem: answerProblem(answer) };
    return { service, kind: 'pruned', counts: answer.body };
  } catch (error) {
    return { service, kind: 'failed', problem: (error as Error).message };
  }
}

/** One line an operator can read: totals, then who was skipped and who failed and why. */
export function summarize(visits: Visit[]): JobResult {
  const pruned = visits.filter((v) => v.kind === 'pruned');
  const skipped = visits.filter((v) => v.kind === 'skipped');
  const failed = visits.filter((v) => v.kind === 'failed');
  const outbox = pruned.reduce((sum, v) => sum + v.counts.outbox, 0);
  const inbox = pruned.reduce((sum, v) => sum + v.counts.inbox, 0);
  const parts = [
    `pruned ${outbox} outbox and ${inbox} inbox rows in ${pruned.length} services` +
      (pruned.length
        ? ` (${pruned.map((v) => `${v.service} ${v.counts.outbox}/${v.counts.inbox}`).join(', ')})`
        : ''),
  ];
  if (skipped.length)
    parts.push(`skipped, no database: ${skipped.map((v) => v.service).join(', ')}`);
  if (failed.length) parts.push(`failed: ${failed.map((v) => v.problem).join('; ')}`);
  return { outcome: failed.length ? 'failed' : 'ok', detail: parts.join('; ') };
}

/**
 * Sent outbox rows and processed inbox rows past retention, in every service, through the
 * kit's maintenance route on each: the worker never reads another service's database. A
 * service that is down fails the run (after the others were visited); one without a
 * database answers 404 and is skipped.
 */
export function pruneMessagingTablesJob(calls: ServiceCalls): JobDefinition {
  return {
    name: 'prune-messaging-tables',
    description:
      'Deletes published outbox rows and processed inbox rows past retention in every service with a database',
    defaultSchedule: '17 * * * *',
    timeoutMs: 10 * 60_000,
    async run() {
      const services = [...new Set(calls.services())].sort();
      const visits = await Promise.all(services.map((service) => visit(calls, service)));
      return summarize(visits);
    },
  };
}
