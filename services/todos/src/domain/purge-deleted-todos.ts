import { purgeDeletedBatch } from '../data/purge.ts';
import type { TodosDeps } from './deps.ts';

const DAY_MS = 24 * 60 * 60 * 1000;
// Small enough that one transaction never holds many locks or a long WAL burst.
const BATCH = 500;

/**
 * Retention: todos deleted more than `retentionDays` ago are gone for good, history included
 * (a restore is possible until then). Batched; resolves with how many were purged.
 */
export async function purgeDeletedTodos(deps: TodosDeps, retentionDays: number): Promise<number> {
  const before = new Date(deps.now().getTime() - retentionDays * DAY_MS);
  let total = 0;
  for (;;) {
    const purged = await purgeDeletedBatch(deps.database.db, before, BATCH);
    total += purged;
    if (purged < BATCH) return total;
  }
}
