import { outboxWake } from '@lattice/platform';
import { type RawBuilder, sql } from 'kysely';
import type { StoredEvent } from './event-store.ts';
import {
  type KeyOwner,
  type StoredResponse,
  storedResponseOf,
  tryKeyLock,
} from './idempotency-keys.ts';
import { projectionParts } from './projections.ts';
import { type Executor, jsonValue } from './schema.ts';

export interface Placement {
  owner: KeyOwner;
  key: string;
  /** The response stored under the key if the order is placed. */
  response: StoredResponse;
  /** The order's first event, version 1 of a new stream. */
  placed: StoredEvent;
  /** The outbox insert of its integration events, given the gate it gets. */
  outbox(gate: RawBuilder<boolean>): RawBuilder<unknown>;
}

export type PlacementResult =
  /** Another request with the key holds it: nothing was read or written. */
  | { kind: 'in-flight' }
  /** The key has a stored response (perhaps expired): nothing was written. */
  | { kind: 'earlier'; earlier: StoredResponse }
  | { kind: 'placed' }
  /** The key was stored by a request that committed as this one read: nothing was written. */
  | { kind: 'raced' };

/**
 * A placement as ONE statement, so one round trip and no transaction: it holds the key
 * (pg_try_advisory_xact_lock, released when the statement commits), reads the key's stored
 * response, and only if there is none claims the key (the insert of the response), appends the
 * order's first event, projects it and records its integration events, each part gated on the
 * one before. A request with the same key that committed after this statement's snapshot and
 * before it took the lock is caught by the key's primary key: the claim inserts nothing, so
 * nothing is written ('raced'), and a second run sees the stored response.
 */
export async function placeInOneStatement(
  db: Executor,
  placement: Placement,
): Promise<PlacementResult> {
  const { owner, key, response, placed } = placement;
  const wrote = sql<boolean>`EXISTS (SELECT 1 FROM appended)`;
  const wake = outboxWake(db);
  const { rows } = await sql<{
    locked: boolean;
    earlier: {
      request_hash: string;
      order_id: string;
      status: number;
      response: unknown;
      created_at: string;
    } | null;
    placed: boolean;
  }>`WITH lock AS MATERIALIZED (
      SELECT ${tryKeyLock(owner, key)} AS locked
    ),
    earlier AS MATERIALIZED (
      SELECT k.request_hash, k.order_id, k.status, k.response, k.created_at FROM idempotency_keys k
       WHERE (SELECT locked FROM lock)
         AND k.tenant_id = ${owner.tenantId} AND k.user_id = ${owner.userId} AND k.key = ${key}
    ),
    claim AS (
      INSERT INTO idempotency_keys (tenant_id, user_id, key, request_hash, order_id, status, response, created_at)
      SELECT ${owner.tenantId}, ${owner.userId}, ${key}, ${response.requestHash}, ${response.orderId}::uuid,
             ${response.status}::int, ${JSON.stringify(response.body)}::jsonb, ${response.createdAt}::timestamptz
       WHERE (SELECT locked FROM lock) AND NOT EXISTS (SELECT 1 FROM earlier)
      ON CONFLICT DO NOTHING
      RETURNING 1
    ),
    appended AS (
      INSERT INTO order_events (stream_id, version, tenant_id, type, data, metadata, recorded_at)
      SELECT ${placed.streamId}::uuid, ${placed.version}::int, ${placed.tenantId}, ${placed.event.type},
             ${JSON.stringify(placed.event.data)}::jsonb, ${JSON.stringify(placed.metadata)}::jsonb,
             ${placed.recordedAt}::timestamptz
        FROM claim
      ON CONFLICT DO NOTHING
      RETURNING 1
    ),
    ${projectionParts([placed], wrote)},
    written AS (${placement.outbox(wrote)})
    SELECT (SELECT locked FROM lock) AS locked,
           (SELECT row_to_json(earlier) FROM earlier) AS earlier,
           ${wrote} AS placed,
           (SELECT count(*) FROM (SELECT ${wake.notify} FROM appended) AS woken) AS woken`.execute(
    db,
  );
  const row = rows[0];
  if (!row?.locked) return { kind: 'in-flight' };
  if (row.earlier) {
    return {
      kind: 'earlier',
      earlier: storedResponseOf(jsonValue<NonNullable<typeof row.earlier>>(row.earlier)),
    };
  }
  if (!row.placed) return { kind: 'raced' };
  wake.wrote();
  return { kind: 'placed' };
}
