import type { Kysely } from 'kysely';
import type { TodosDb } from './schema.ts';

/**
 * Hard-deletes up to `limit` todos soft-deleted before `before`, with their history (which
 * references them), in one transaction; resolves with how many. The one query of the service
 * that is not scoped to an owner: it is retention, run for every tenant by the platform's
 * worker, and it only ever touches rows their owners already deleted. Rows are taken with
 * SKIP LOCKED, so a todo being restored right now is left for the next sweep, and the delete
 * re-checks `deleted_at` so a todo restored in between is never removed.
 */
export async function purgeDeletedBatch(
  db: Kysely<TodosDb>,
  before: Date,
  limit: number,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const rows = await trx
      .selectFrom('todos')
      .select('id')
      .where('deleted_at', '<', before)
      .limit(limit)
      .forUpdate()
      .skipLocked()
      .execute();
    if (rows.length === 0) return 0;
    const ids = rows.map((row) => row.id);
    await trx.deleteFrom('todo_history').where('todo_id', 'in', ids).execute();
    const deleted = await trx
      .deleteFrom('todos')
      .where('id', 'in', ids)
      .where('deleted_at', '<', before)
      .executeTakeFirst();
    return Number(deleted.numDeletedRows);
  });
}
