import pg from 'pg';
import { quoteIdent, schemaName } from '../../packages/platform/src/db/names.ts';
import { UsageError } from './args.ts';

/**
 * A group's inbox (`<schema>.inbox`, see packages/platform/src/outbox/inbox.ts) holds the id of
 * every event it applied, so a replayed event would be skipped as a duplicate. Forgetting the
 * range's ids is what makes the replay apply them again; events outside the range stay known
 * and their redelivery changes nothing.
 */
export function inboxSchema(group: string, schema: string | undefined): string {
  if (schema !== undefined) return schema;
  // Groups are `<service>_<consumer>` (consumerGroup in packages/platform/src/events/service-events.ts).
  const separator = group.indexOf('_');
  if (separator <= 0) {
    throw new UsageError(
      `--reset-inbox needs --schema: the service owning group ${group} cannot be told from its name`,
    );
  }
  return schemaName(group.slice(0, separator));
}

const literal = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** The statements an operator runs against the service's database (psql), in one transaction. */
export function inboxSql(
  schema: string,
  consumer: string,
  eventIds: string[],
  clearSql?: string,
): string {
  const ids = eventIds.map(literal).join(',\n  ');
  return [
    'BEGIN;',
    ...(clearSql ? [`${clearSql.trim().replace(/;$/, '')};`] : []),
    `DELETE FROM ${quoteIdent(schema)}.inbox WHERE consumer = ${literal(consumer)} AND event_id IN (\n  ${ids}\n);`,
    'COMMIT;',
    '',
  ].join('\n');
}

const CHUNK = 5_000;

/**
 * Deletes the range's inbox rows (and runs `clearSql`) in one transaction: a handler applying
 * one of these events concurrently either commits before (its row is deleted, the replay
 * applies it again on the cleared model) or after (its row stays, the replay skips it).
 */
export async function resetInbox(
  databaseUrl: string,
  schema: string,
  consumer: string,
  eventIds: string[],
  clearSql?: string,
): Promise<number> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    application_name: 'events-replay',
  });
  await client.connect();
  try {
    await client.query('BEGIN');
    if (clearSql) await client.query(clearSql);
    let deleted = 0;
    for (let start = 0; start < eventIds.length; start += CHUNK) {
      const result = await client.query(
        `DELETE FROM ${quoteIdent(schema)}.inbox WHERE consumer = $1 AND event_id = ANY($2::text[])`,
        [consumer, eventIds.slice(start, start + CHUNK)],
      );
      deleted += result.rowCount ?? 0;
    }
    await client.query('COMMIT');
    return deleted;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    await client.end().catch(() => {});
  }
}
