import type { Transaction } from 'kysely';
import type { ProjectedEvent } from '../data/projection.ts';
import type { AnalyticsDb } from '../data/schema.ts';

/**
 * The analytics-owned event log, read in the order the events were applied, a batch at a
 * time, inside the rebuild's transaction (which holds the log still: see rebuild-read-models.ts).
 */
export async function* logBatches(
  trx: Transaction<AnalyticsDb>,
  batchSize: number,
): AsyncGenerator<ProjectedEvent[]> {
  let after = 0;
  for (;;) {
    const rows = await trx
      .selectFrom('event_log')
      .select(['seq', 'event'])
      .where('seq', '>', after)
      .orderBy('seq')
      .limit(batchSize)
      .execute();
    if (rows.length === 0) return;
    after = Number(rows[rows.length - 1]?.seq);
    // pg parses jsonb; PGlite may hand back the text.
    yield rows.map(
      (row) =>
        (typeof row.event === 'string' ? JSON.parse(row.event) : row.event) as ProjectedEvent,
    );
  }
}

export async function logSize(trx: Transaction<AnalyticsDb>): Promise<number> {
  const row = await trx
    .selectFrom('event_log')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}
