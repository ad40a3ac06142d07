import { createHash } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { type Executor, jsonValue } from './schema.ts';

/** Whose keys: a key is unique per tenant and user. */
export interface KeyOwner {
  tenantId: string;
  userId: string;
}

export interface StoredResponse {
  requestHash: string;
  orderId: string;
  status: number;
  body: unknown;
  createdAt: Date;
}

/** One caller's idempotency keys; every query is scoped by tenant and user here. */
export function callerKeys(db: Executor, owner: KeyOwner) {
  const mineKeys = () =>
    db
      .selectFrom('idempotency_keys')
      .selectAll()
      .where('tenant_id', '=', owner.tenantId)
      .where('user_id', '=', owner.userId);
  const mineKeysToDelete = () =>
    db
      .deleteFrom('idempotency_keys')
      .where('tenant_id', '=', owner.tenantId)
      .where('user_id', '=', owner.userId);

  return {
    /**
     * Holds `key` for this transaction without waiting: false when another transaction holds
     * it, i.e. a request with the same key is still in flight. Released at commit or rollback.
     */
    async tryLock(key: string): Promise<boolean> {
      const { rows } = await sql<{
        locked: boolean;
      }>`SELECT ${tryKeyLock(owner, key)} AS locked`.execute(db);
      return rows[0]?.locked === true;
    },

    async find(key: string): Promise<StoredResponse | undefined> {
      const row = await mineKeys().where('key', '=', key).executeTakeFirst();
      return row ? storedResponseOf(row) : undefined;
    },

    async forget(key: string): Promise<void> {
      await mineKeysToDelete().where('key', '=', key).execute();
    },

    async save(key: string, response: StoredResponse): Promise<void> {
      await this.saveQuery(key, response).execute();
    },

    /** `save` as a statement not yet run (to send it with other writes). */
    saveQuery(key: string, response: StoredResponse) {
      return db.insertInto('idempotency_keys').values({
        tenant_id: owner.tenantId,
        user_id: owner.userId,
        key,
        request_hash: response.requestHash,
        order_id: response.orderId,
        status: response.status,
        response: JSON.stringify(response.body),
        created_at: response.createdAt,
      });
    },
  };
}

export type CallerKeys = ReturnType<typeof callerKeys>;

/** Deletes keys created before `before`, at most `batch` at a time; resolves with how many. */
export async function deleteExpiredKeys(db: Executor, before: Date, batch = 1000): Promise<number> {
  const result = await sql`DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM idempotency_keys WHERE created_at < ${before} LIMIT ${batch}))`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/**
 * Holds the caller's key until the transaction (or the autocommitted statement) ends, without
 * waiting: false when another holds it, i.e. a request with the same key is in flight.
 */
export function tryKeyLock(owner: KeyOwner, key: string): RawBuilder<boolean> {
  return sql<boolean>`pg_try_advisory_xact_lock(hashtext('lattice.orders.idempotency'), ${lockId(owner, key)}::int4)`;
}

/** A stored response from its row, as Kysely reads it or as `row_to_json` spells it. */
export function storedResponseOf(row: {
  request_hash: string;
  order_id: string;
  status: number;
  response: unknown;
  created_at: Date | string;
}): StoredResponse {
  return {
    requestHash: row.request_hash,
    orderId: row.order_id,
    status: row.status,
    body: jsonValue(row.response),
    createdAt: new Date(row.created_at),
  };
}

/**
 * 32 bits of SHA-256 over (tenant, user, key). Two keys sharing a lock id only make one of two
 * simultaneous requests retry (409): a rare false alarm, never a wrong answer.
 */
export function lockId(owner: KeyOwner, key: string): number {
  return createHash('sha256')
    .update(JSON.stringify([owner.tenantId, owner.userId, key]))
    .digest()
    .readInt32BE(0);
}
