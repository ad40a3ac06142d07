import type { Write } from '@lattice/platform';
import { sql, type Transaction } from 'kysely';
import {
  type Append,
  appendStatement,
  ConcurrencyConflict,
  checkAppended,
  type EventMetadata,
  type FromSnapshot,
  readFromSnapshots,
  readStream,
  type StoredEvent,
  saveSnapshot,
  storedEvents,
} from '../data/event-store.ts';
import { appendAndProject } from '../data/projections.ts';
import type { Executor, OrdersDb } from '../data/schema.ts';
import { OrdersErrors } from '../errors.ts';
import { integrationEvents } from '../events/order-integration-events.ts';
import type { OrdersDeps } from './deps.ts';
import { evolve, fold, ORDER_SNAPSHOT_SCHEMA, type Order, type OrderEvent } from './order.ts';

/** An order as loaded: its state (undefined before it was placed) and its stream's version. */
export interface LoadedOrder {
  order: Order | undefined;
  version: number;
}

/** The latest snapshot, if any, then the fold of the events after it. */
export async function loadOrder(db: Executor, orderId: string): Promise<LoadedOrder> {
  return (await loadOrders(db, [orderId]))[0] as LoadedOrder;
}

/** `loadOrder` for several orders in one round trip, in the order asked. */
export async function loadOrders(
  db: Executor,
  orderIds: readonly string[],
): Promise<LoadedOrder[]> {
  const streams = await readFromSnapshots<Order>(db, orderIds, ORDER_SNAPSHOT_SCHEMA);
  return orderIds.map((id) => {
    const { snapshot, events } = streams.get(id) as FromSnapshot<Order>;
    const order = fold(
      snapshot?.state,
      events.map((stored) => stored.event),
    );
    return { order, version: events.at(-1)?.version ?? snapshot?.version ?? 0 };
  });
}

/** The fold of the whole stream, ignoring snapshots: what a snapshot must agree with. */
export async function replayOrder(db: Executor, orderId: string): Promise<Order | undefined> {
  const events = await readStream(db, orderId);
  return fold(
    undefined,
    events.map((stored) => stored.event),
  );
}

export interface CommandResult {
  order: Order | undefined;
  /** What this command appended; empty when the order already was as the command wants it. */
  appended: StoredEvent[];
}

export interface OrderCommand {
  orderId: string;
  /** The tenant of a new stream; an existing stream keeps its own. */
  tenantId?: string;
  /**
   * The order id was minted for this command, so its stream is empty: loading is skipped. A
   * stream that exists after all still fails safely (a conflict, retried with loading).
   */
  newStream?: boolean;
  metadata: EventMetadata;
  /** The events to append given the current state (the aggregate's pure decisions); may throw a domain error. */
  decide(order: Order | undefined): OrderEvent[] | Promise<OrderEvent[]>;
  /**
   * A write of the caller's that goes with the appended events, given the state they lead to
   * (the idempotency key's stored response): sent with the outbox insert, one round trip.
   */
  alsoWrite?(order: Order): Write;
}

/**
 * Runs a command on one order inside `trx`: load, decide, append at the version read, then
 * project the events, record their integration events (the outbox) and snapshot the state,
 * all in the caller's transaction. Several events are appended under a savepoint; when another
 * writer appended first (ConcurrencyConflict), the writes are undone and the command is loaded and decided
 * again on the fresh state, at most `commandMaxAttempts` times. Read committed lets the retry
 * see the competing writer's events. A command that decides nothing writes nothing (no
 * savepoint either: the redelivered and stale events of the saga cost two reads).
 */
export async function executeOrderCommand(
  deps: OrdersDeps,
  trx: Transaction<OrdersDb>,
  command: OrderCommand,
): Promise<CommandResult> {
  for (let attempt = 1; ; attempt++) {
    const loaded: LoadedOrder =
      attempt === 1 && command.newStream
        ? { order: undefined, version: 0 }
        : await loadOrder(trx, command.orderId);
    const decided = await command.decide(loaded.order);
    if (decided.length === 0) return { order: loaded.order, appended: [] };

    // The savepoint only undoes a partial append: a conflict is the append's first write
    // (ON CONFLICT DO NOTHING, so the transaction stays usable), and any other error fails
    // the caller's whole transaction. One event is appended whole or not at all, so it needs
    // none: two round trips less on every placement and saga step.
    const guarded = decided.length > 1;
    if (guarded) await sql`SAVEPOINT order_command`.execute(trx);
    try {
      const result = await persist(deps, trx, command, loaded, decided);
      if (guarded) await sql`RELEASE SAVEPOINT order_command`.execute(trx);
      return result;
    } catch (error) {
      if (guarded) {
        await sql`ROLLBACK TO SAVEPOINT order_command`.execute(trx);
        await sql`RELEASE SAVEPOINT order_command`.execute(trx);
      }
      if (!(error instanceof ConcurrencyConflict)) throw error;
      if (attempt >= deps.commandMaxAttempts) {
        throw OrdersErrors.concurrentChange(
          `The order changed ${attempt} times while this request was deciding; retry it`,
          { headers: { 'retry-after': '1' }, cause: error },
        );
      }
    }
  }
}

/**
 * Commands on distinct orders as one: one read of all their streams, then one statement each
 * to append, project and record the events of all of them (a consumer's batch of saga steps).
 * There is no retry here: a conflict on any stream throws ConcurrencyConflict and the caller's
 * transaction must fail as a whole (a consumer's batch is then applied event by event, with
 * `executeOrderCommand` and its retries).
 */
export async function executeOrderCommands(
  deps: OrdersDeps,
  trx: Transaction<OrdersDb>,
  commands: readonly OrderCommand[],
): Promise<CommandResult[]> {
  const ids = commands.map((command) => command.orderId.toLowerCase());
  if (new Set(ids).size !== ids.length) {
    throw new Error('executeOrderCommands takes one command per order');
  }
  const loaded = await loadOrders(
    trx,
    commands.map((command) => command.orderId),
  );
  const steps: Step[] = [];
  for (const [index, command] of commands.entries()) {
    const state = loaded[index] as LoadedOrder;
    steps.push({ command, loaded: state, decided: await command.decide(state.order) });
  }
  return persistMany(deps, trx, steps);
}

interface Step {
  command: OrderCommand;
  loaded: LoadedOrder;
  decided: OrderEvent[];
}

function persist(
  deps: OrdersDeps,
  trx: Transaction<OrdersDb>,
  command: OrderCommand,
  loaded: LoadedOrder,
  decided: OrderEvent[],
): Promise<CommandResult> {
  return persistMany(deps, trx, [{ command, loaded, decided }]).then(
    (results) => results[0] as CommandResult,
  );
}

async function persistMany(
  deps: OrdersDeps,
  trx: Transaction<OrdersDb>,
  steps: readonly Step[],
): Promise<CommandResult[]> {
  const recordedAt = deps.now();
  const appends = steps.map(({ command, loaded, decided }): Append => {
    const tenantId = loaded.order?.tenantId ?? command.tenantId;
    if (!tenantId && decided.length > 0) {
      throw new Error(`a command created order ${command.orderId} without a tenant`);
    }
    return {
      streamId: command.orderId,
      tenantId: tenantId ?? '',
      expectedVersion: loaded.version,
      events: decided,
      metadata: command.metadata,
      recordedAt,
    };
  });
  const appended = storedEvents(appends);
  const statement = appendStatement(appends);
  // The read models ride on the append's statement, written only if it stored every event.
  if (statement) checkAppended(appends, await appendAndProject(trx, statement, appended.flat()));

  const announced = [];
  const along: Write[] = [];
  const results: CommandResult[] = [];
  for (const [index, { command, loaded }] of steps.entries()) {
    const events = appended[index] as StoredEvent[];
    let order = loaded.order;
    for (const stored of events) {
      order = evolve(order, stored.event);
      announced.push(...integrationEvents(deps.events, stored, order));
    }
    results.push({ order, appended: events });
    if (events.length === 0) continue;
    const state = order as Order;
    if (command.alsoWrite) along.push(command.alsoWrite(state));
    const every = deps.snapshotEvery;
    if (Math.floor(state.version / every) > Math.floor(loaded.version / every)) {
      await saveSnapshot(trx, command.orderId, {
        version: state.version,
        schema: ORDER_SNAPSHOT_SCHEMA,
        state,
        takenAt: deps.now(),
      });
    }
  }
  if (announced.length > 0 || along.length > 0) await deps.events.record(trx, announced, { along });
  return results;
}
