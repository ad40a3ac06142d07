import { SchemaGuard, type ServiceEvents } from '@lattice/platform';

const guard = new SchemaGuard();

/**
 * `events` whose `record` checks each event against its contract first. The bus checks again
 * at publish, but by then the event is committed: one the contract refuses would sit at the
 * head of the outbox and hold back every later event of the service. Refused here, it fails
 * the writer's transaction instead (a 500, nothing committed).
 */
export function contractChecked<DB>(events: ServiceEvents<DB>): ServiceEvents<DB> {
  return {
    create: (event) => events.create(event),
    record: async (trx, recorded) => {
      for (const event of Array.isArray(recorded) ? recorded : [recorded])
        guard.checkPublish(event);
      await events.record(trx, recorded);
    },
    consume: (spec) => events.consume(spec),
  };
}
