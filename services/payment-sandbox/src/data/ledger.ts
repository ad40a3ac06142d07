import type { Insertable, Selectable } from 'kysely';
import type { ChargesTable, Executor, RefundsTable } from './schema.ts';

export type ChargeRow = Selectable<ChargesTable>;
export type RefundRow = Selectable<RefundsTable>;

export interface ChargeFilter {
  idempotencyKey?: string;
  paymentMethod?: string;
  status?: 'succeeded' | 'failed';
  refunded?: boolean;
  /** A charge id: the page starts after it (newest first). */
  startingAfter?: string;
}

/** The processor's ledger: charges, refunds and the flaky card's failure counts. */
export function ledger(db: Executor) {
  return {
    /** Inserts unless the key already has a charge; undefined means the key was taken. */
    async insertCharge(charge: Insertable<ChargesTable>): Promise<ChargeRow | undefined> {
      return db
        .insertInto('charges')
        .values(charge)
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returningAll()
        .executeTakeFirst();
    },

    async chargeByKey(key: string): Promise<ChargeRow | undefined> {
      return db
        .selectFrom('charges')
        .selectAll()
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
    },

    async charge(id: string, lock = false): Promise<ChargeRow | undefined> {
      const query = db.selectFrom('charges').selectAll().where('id', '=', id);
      return (lock ? query.forUpdate() : query).executeTakeFirst();
    },

    /** Newest first; one more than `limit` is asked so the caller knows whether more exist. */
    async listCharges(filter: ChargeFilter, limit: number): Promise<ChargeRow[]> {
      let query = db.selectFrom('charges').selectAll();
      if (filter.idempotencyKey !== undefined)
        query = query.where('idempotency_key', '=', filter.idempotencyKey);
      if (filter.paymentMethod !== undefined)
        query = query.where('payment_method', '=', filter.paymentMethod);
      if (filter.status !== undefined) query = query.where('status', '=', filter.status);
      if (filter.refunded !== undefined)
        query = query.where('amount_refunded', filter.refunded ? '>' : '=', 0);
      if (filter.startingAfter !== undefined) {
        const after = filter.startingAfter;
        query = query.where('seq', '<', (eb) =>
          eb.selectFrom('charges').select('seq').where('id', '=', after),
        );
      }
      return query.orderBy('seq', 'desc').limit(limit).execute();
    },

    async markRefunded(chargeId: string, amount: number): Promise<ChargeRow> {
      return db
        .updateTable('charges')
        .set({ amount_refunded: amount })
        .where('id', '=', chargeId)
        .returningAll()
        .executeTakeFirstOrThrow();
    },

    async insertRefund(refund: Insertable<RefundsTable>): Promise<RefundRow | undefined> {
      return db
        .insertInto('refunds')
        .values(refund)
        .onConflict((oc) => oc.column('idempotency_key').doNothing())
        .returningAll()
        .executeTakeFirst();
    },

    async refundByKey(key: string): Promise<RefundRow | undefined> {
      return db
        .selectFrom('refunds')
        .selectAll()
        .where('idempotency_key', '=', key)
        .executeTakeFirst();
    },

    async refundOfCharge(chargeId: string): Promise<RefundRow | undefined> {
      return db
        .selectFrom('refunds')
        .selectAll()
        .where('charge_id', '=', chargeId)
        .executeTakeFirst();
    },

    /** Counts one more transient failure for `key` and answers the new count. */
    async countTransientFailure(key: string): Promise<number> {
      const row = await db
        .insertInto('transient_failures')
        .values({ idempotency_key: key, failures: 1 })
        .onConflict((oc) =>
          oc.column('idempotency_key').doUpdateSet((eb) => ({
            failures: eb('transient_failures.failures', '+', 1),
          })),
        )
        .returning('failures')
        .executeTakeFirstOrThrow();
      return row.failures;
    },
  };
}
