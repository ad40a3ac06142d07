import { notifyAtCommit, wakeAtCommit } from '@lattice/platform';
import { type Insertable, type Selectable, sql, type Updateable, type UpdateObject } from 'kysely';
import type { Executor, PaymentStatus, PaymentsDb, PaymentsTable } from './schema.ts';

export type PaymentRow = Selectable<PaymentsTable>;
export type NewPayment = Insertable<PaymentsTable>;
export type PaymentChanges = Updateable<PaymentsTable>;

/** Whose payments a caller sees: the tenant's; only their own unless `customerId` is undefined. */
export interface Viewer {
  tenantId: string;
  /** Undefined for a tenant admin, who sees every payment of the tenant. */
  customerId: string | undefined;
}

export interface PagePosition {
  createdAt: Date;
  id: string;
}

/**
 * The payments a caller may see. Tenant isolation is enforced here, once: every read and the
 * lock start from `visible()`, so another tenant's payment is simply not found.
 */
export function viewerPayments(db: Executor, viewer: Viewer) {
  const visible = () => {
    let query = db.selectFrom('payments').selectAll().where('tenant_id', '=', viewer.tenantId);
    if (viewer.customerId !== undefined) query = query.where('customer_id', '=', viewer.customerId);
    return query;
  };
  return {
    async find(id: string): Promise<PaymentRow | undefined> {
      return visible().where('id', '=', id).executeTakeFirst();
    },

    /** Locks the row until the transaction ends: a refund and the runner take turns. */
    async lock(id: string): Promise<PaymentRow | undefined> {
      return visible().where('id', '=', id).forUpdate().executeTakeFirst();
    },

    async list(
      filter: { orderId?: string },
      count: number,
      after?: PagePosition,
    ): Promise<PaymentRow[]> {
      let query = visible();
      if (filter.orderId !== undefined) query = query.where('order_id', '=', filter.orderId);
      if (after) {
        query = query.where((eb) =>
          eb(eb.refTuple('created_at', 'id'), '<', eb.tuple(after.createdAt, after.id)),
        );
      }
      return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(count).execute();
    },
  };
}

/** The runner's and the consumers' access: by id within a tenant, or by order. */
export function paymentLedger(db: Executor) {
  return {
    /** Many pending payments in one statement; those whose order already has one are skipped. */
    async insertPendingMany(payments: NewPayment[]): Promise<PaymentRow[]> {
      if (payments.length === 0) return [];
      return db
        .insertInto('payments')
        .values(payments)
        .onConflict((oc) => oc.column('order_id').doNothing())
        .returningAll()
        .execute();
    },

    async lockInTenant(tenantId: string, id: string): Promise<PaymentRow | undefined> {
      return db
        .selectFrom('payments')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
    },

    /**
     * Takes up to `count` payments whose next action is due and moves their time to
     * `leaseUntil`: no other runner takes them meanwhile (SKIP LOCKED lets runners of several
     * instances claim side by side), and a runner that dies leaves them due again at its end.
     */
    async claimDue(now: Date, leaseUntil: Date, count: number): Promise<PaymentRow[]> {
      const due = db
        .selectFrom('payments')
        .select('id')
        .where('next_action_at', '<=', now)
        .orderBy('next_action_at')
        .limit(count)
        .forUpdate()
        .skipLocked();
      // `= ANY(ARRAY(...))`, not `IN (...)`: with IN, the plan prepared once (the limit unknown)
      // joins the claimed ids to a scan of the whole table, dead versions included.
      return db
        .updateTable('payments')
        .set((eb) => ({ next_action_at: leaseUntil, attempts: eb('attempts', '+', 1) }))
        .where('id', '=', sql<string>`ANY(ARRAY(${due}))`)
        .returningAll()
        .execute();
    },

    /**
     * Ends this instance's lease of pending payments it never started (it stops, or they
     * waited too long): due now, for any runner to claim with a lease of its own.
     */
    async releaseLeases(ids: readonly string[], now: Date): Promise<void> {
      await db
        .updateTable('payments')
        .set({ next_action_at: now })
        .where('id', '=', sql<string>`ANY(${ids}::uuid[])`)
        .where('status', '=', 'pending')
        .where('next_action_at', '>', now)
        .execute();
    },

    /** Applies `changes` only while the payment is still `from`: a late second attempt changes nothing. */
    async transition(
      id: string,
      from: PaymentStatus,
      changes: PaymentChanges,
    ): Promise<PaymentRow | undefined> {
      return this.transitionQuery(id, from, changes).executeTakeFirst();
    },

    /** `transition` as a statement not yet run (to record its events with it). */
    transitionQuery(
      id: string,
      from: PaymentStatus,
      changes: PaymentChanges | UpdateObject<PaymentsDb, 'payments'>,
    ) {
      return db
        .updateTable('payments')
        .set(changes)
        .where('id', '=', id)
        .where('status', '=', from)
        .returningAll();
    },

    async update(id: string, changes: PaymentChanges): Promise<PaymentRow | undefined> {
      return db
        .updateTable('payments')
        .set(changes)
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
    },

    /**
     * Wakes the runners when the transaction commits: this instance's in-process, the others'
     * by NOTIFY only when none runs here (see the kit's `wakeAtCommit`).
     */
    async wakeRunners(channel: string): Promise<void> {
      await wakeAtCommit(db, channel);
    },

    /** Wakes every instance's runner when the transaction commits: work this one cannot take. */
    async wakeEveryRunner(channel: string): Promise<void> {
      await notifyAtCommit(db, channel);
    },
  };
}
