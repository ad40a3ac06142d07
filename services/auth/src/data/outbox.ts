import type { CloudEvent } from '@lattice/platform';
import type { Executor } from './schema.ts';

/** `subject` is the bus subject (`auth.user.registered.v1`), not the CloudEvent's subject. */
export async function addToOutbox(db: Executor, subject: string, event: CloudEvent): Promise<void> {
  await db
    .insertInto('outbox')
    .values({ id: event.id, tenant_id: event.tenantid, subject, event: JSON.stringify(event) })
    .execute();
}
