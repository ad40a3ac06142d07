import { sql } from 'kysely';
import type { OrderEvent } from '../domain/order.ts';
import { type Executor, jsonValue } from './schema.ts';

/** Where an event came from: carried with it, never part of the domain state. */
export interface EventMetadata {
  /** W3C traceparent of the request or event that caused it. */
  traceparent?: string;
  /** The CloudEvent id this event answers (a payment event), for the saga's audit trail. */
  causationId?: string;
  /** Who caused it: a user id, or `service:<name>`. */
  actor?: string;
}

export interface StoredEvent {
  streamId: string;
  version: number;
  tenantId: string;
  event: OrderEvent;
  metadata: EventMetadata;
  recordedAt: Date;
}

/**
 * Another writer appended to the stream after `expectedVersion` was read: this append was
 * refused as a whole and the command must be decided again on the fresh state.
 */
export class ConcurrencyConflict extends Error {
  readonly streamId: string;
  readonly expectedVersion: number;

  constructor(streamId: string, expectedVersion: number) {
    super(`stream ${streamId} moved past version ${expectedVersion}`);
    this.name = 'ConcurrencyConflict';
    this.streamId = streamId;
    this.expectedVersion = expectedVersion;
  }
}

export interface Append {
  streamId: string;
  tenantId: string;
  /** The version the events were decided on: 0 for a new stream. */
  expectedVersion: number;
  events: OrderEvent[];
  metadata: EventMetadata;
  recordedAt: Date;
}

/**
 * Appends `events` as versions expectedVersion+1, +2… or throws ConcurrencyConflict when one
 * of those versions exists. ON CONFLICT DO NOTHING (rather than catching the unique violation)
 * keeps the transaction usable; a concurrent writer still holding the same version makes this
 * insert wait for its outcome, so the check is exact under PostgreSQL's read committed.
 */
export async function appendEvents(db: Executor, append: Append): Promise<StoredEvent[]> {
  return (await appendToStreams(db, [append]))[0] ?? [];
}

/**
 * `appendEvents` for several streams in one INSERT. A conflict on any stream throws: the
 * caller's transaction (or savepoint) must undo the others' rows.
 */
export async function appendToStreams(
  db: Executor,
  appends: readonly Append[],
): Promise<StoredEvent[][]> {
  const statement = appendStatement(appends);
  if (!statement) return appends.map(() => []);
  checkAppended(appends, (await statement.execute(db)).rows);
  return storedEvents(appends);
}

/**
 * The INSERT of `appendToStreams`, not yet run (undefined when there is nothing to append): a
 * caller may send it with writes that depend on it, then hand its rows to `checkAppended`. The
 * rows go as one jsonb parameter, so the statement's text is the same for one event or a
 * batch (one prepared statement).
 */
export function appendStatement(appends: readonly Append[]) {
  const rows = appends.flatMap((append) =>
    append.events.map((event, index) => ({
      stream_id: append.streamId,
      version: append.expectedVersion + index + 1,
      tenant_id: append.tenantId,
      type: event.type,
      data: event.data,
      metadata: append.metadata,
      recorded_at: append.recordedAt,
    })),
  );
  if (rows.length === 0) return undefined;
  return sql<AppendedRow>`INSERT INTO order_events
      (stream_id, version, tenant_id, type, data, metadata, recorded_at)
    SELECT r.stream_id, r.version, r.tenant_id, r.type, r.data, r.metadata, r.recorded_at
      FROM ROWS FROM (jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) AS (
        stream_id uuid, version integer, tenant_id text, type text, data jsonb, metadata jsonb,
        recorded_at timestamptz))
        WITH ORDINALITY AS r(stream_id, version, tenant_id, type, data, metadata, recorded_at, n)
     -- seq in the order given: a stream's events in version order.
     ORDER BY r.n
    ON CONFLICT (stream_id, version) DO NOTHING
    RETURNING stream_id, version`;
}

/** A row the append's INSERT returns. */
export interface AppendedRow {
  stream_id: string;
  version: number;
}

/** How many rows `appends` insert. */
function appendedCount(appends: readonly Append[]): number {
  return appends.reduce((sum, append) => sum + append.events.length, 0);
}

/**
 * Throws ConcurrencyConflict unless the INSERT returned a row for every event: a version was
 * taken. Versions are contiguous, so a conflict on a stream's first one is a conflict on all.
 */
export function checkAppended(
  appends: readonly Append[],
  inserted: ReadonlyArray<{ stream_id: string; version: number }>,
): void {
  if (inserted.length !== appendedCount(appends)) {
    const written = new Set(inserted.map((row) => `${row.stream_id}/${row.version}`));
    const lost = appends.find(
      (append) =>
        append.events.length > 0 &&
        !written.has(`${append.streamId.toLowerCase()}/${append.expectedVersion + 1}`),
    ) as Append;
    throw new ConcurrencyConflict(lost.streamId, lost.expectedVersion);
  }
}

/** The events of `appends` as they are stored, per append. */
export function storedEvents(appends: readonly Append[]): StoredEvent[][] {
  return appends.map((append) =>
    append.events.map((event, index) => ({
      streamId: append.streamId,
      version: append.expectedVersion + index + 1,
      tenantId: append.tenantId,
      event,
      metadata: append.metadata,
      recordedAt: append.recordedAt,
    })),
  );
}

/** The stream's events after `afterVersion`, in order. */
export async function readStream(
  db: Executor,
  streamId: string,
  afterVersion = 0,
): Promise<StoredEvent[]> {
  const rows = await db
    .selectFrom('order_events')
    .selectAll()
    .where('stream_id', '=', streamId)
    .where('version', '>', afterVersion)
    .orderBy('version')
    .execute();
  return rows.map(toStoredEvent);
}

/**
 * Every event of every stream in the order they were recorded, `batch` rows at a time (the
 * read models' rebuild). Within a stream, the global order is the version order.
 */
export async function* readAllEvents(db: Executor, batch = 500): AsyncGenerator<StoredEvent[]> {
  let after: number | undefined;
  for (;;) {
    let query = db.selectFrom('order_events').selectAll().orderBy('seq').limit(batch);
    if (after !== undefined) query = query.where('seq', '>', after);
    const rows = await query.execute();
    if (rows.length === 0) return;
    after = Number(rows.at(-1)?.seq);
    yield rows.map(toStoredEvent);
    if (rows.length < batch) return;
  }
}

export interface Snapshot<S> {
  version: number;
  state: S;
}

export interface FromSnapshot<S> {
  snapshot: Snapshot<S> | undefined;
  events: StoredEvent[];
}

/**
 * The latest snapshot of a stream in shape `schema` (if any: one of another shape is as good as
 * none) and the events after it, in one round trip: what loading an aggregate needs.
 */
export async function readFromSnapshot<S>(
  db: Executor,
  streamId: string,
  schema: number,
): Promise<FromSnapshot<S>> {
  return (await readFromSnapshots<S>(db, [streamId], schema)).get(streamId) as FromSnapshot<S>;
}

/** `readFromSnapshot` for several streams in one round trip; every id asked for is in the map. */
export async function readFromSnapshots<S>(
  db: Executor,
  streamIds: readonly string[],
  schema: number,
): Promise<Map<string, FromSnapshot<S>>> {
  const loaded = new Map<string, FromSnapshot<S>>(
    streamIds.map((id) => [id, { snapshot: undefined, events: [] }]),
  );
  if (streamIds.length === 0) return loaded;
  const { rows } = await sql<{
    part: number;
    stream_id: string;
    version: number;
    type: string;
    data: unknown;
    metadata: unknown;
    recorded_at: Date | null;
    tenant_id: string | null;
  }>`WITH snap AS (
      SELECT stream_id, version, state FROM order_snapshots
       WHERE stream_id = ANY(${streamIds}::uuid[]) AND schema = ${schema}
    )
    SELECT 0 AS part, stream_id, version, 'snapshot' AS type, state AS data,
           NULL::jsonb AS metadata, NULL::timestamptz AS recorded_at, NULL::text AS tenant_id
      FROM snap
    UNION ALL
    SELECT 1, e.stream_id, e.version, e.type, e.data, e.metadata, e.recorded_at, e.tenant_id
      FROM order_events e
     WHERE e.stream_id = ANY(${streamIds}::uuid[])
       AND e.version > coalesce((SELECT s.version FROM snap s WHERE s.stream_id = e.stream_id), 0)
    ORDER BY stream_id, part, version`.execute(db);
  // PostgreSQL spells uuids in lower case; the caller's spelling is kept.
  const asked = new Map(streamIds.map((id) => [id.toLowerCase(), id]));
  for (const row of rows) {
    const streamId = asked.get(row.stream_id) as string;
    const stream = loaded.get(streamId) as FromSnapshot<S>;
    if (row.part === 0) {
      stream.snapshot = { version: row.version, state: jsonValue<S>(row.data) };
      continue;
    }
    stream.events.push(
      toStoredEvent({
        stream_id: streamId,
        version: row.version,
        tenant_id: row.tenant_id as string,
        type: row.type,
        data: row.data,
        metadata: row.metadata,
        recorded_at: row.recorded_at as Date,
      }),
    );
  }
  return loaded;
}

/** Keeps the newest snapshot only: an older one never replaces a newer. */
export async function saveSnapshot(
  db: Executor,
  streamId: string,
  snapshot: Snapshot<unknown> & { schema: number; takenAt: Date },
): Promise<void> {
  await db
    .insertInto('order_snapshots')
    .values({
      stream_id: streamId,
      version: snapshot.version,
      schema: snapshot.schema,
      state: JSON.stringify(snapshot.state),
      taken_at: snapshot.takenAt,
    })
    .onConflict((oc) =>
      oc
        .column('stream_id')
        .doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          schema: eb.ref('excluded.schema'),
          state: eb.ref('excluded.state'),
          taken_at: eb.ref('excluded.taken_at'),
        }))
        .where('order_snapshots.version', '<', (eb) => eb.ref('excluded.version')),
    )
    .execute();
}

function toStoredEvent(row: {
  stream_id: string;
  version: number;
  tenant_id: string;
  type: string;
  data: unknown;
  metadata: unknown;
  recorded_at: Date;
}): StoredEvent {
  return {
    streamId: row.stream_id,
    version: row.version,
    tenantId: row.tenant_id,
    event: { type: row.type, data: jsonValue(row.data) } as OrderEvent,
    metadata: jsonValue<EventMetadata>(row.metadata),
    recordedAt: row.recorded_at,
  };
}
