import type { CloudEvent } from '@lattice/platform';
import type { Executor } from '../data/schema.ts';

/**
 * Stores `event` in the outbox inside the caller's transaction, so it exists exactly when the
 * change it announces commits. Stopgap with the kit's outbox row shape: the kit's transactional
 * outbox (and its relay to the bus) replaces this function and reads the rows written here.
 * The outbox `subject` is the bus subject, derived from the type (`lattice.` + subject).
 */
export async function recordEvent(trx: Executor, event: CloudEvent): Promise<void> {
  await trx
    .insertInto('outbox')
    .values({
      id: event.id,
      tenant_id: event.tenantid,
      subject: event.type.replace(/^lattice\./, ''),
      event: JSON.stringify(event),
    })
    .execute();
}
