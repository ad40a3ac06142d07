import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type CreatedAt = ColumnType<Date, Date | undefined, never>;
// bigserial: a number while it fits (the kit parses int8 that way on both drivers).
type Seq = ColumnType<number, never, never>;

export interface ChargesTable {
  seq: Seq;
  id: string;
  idempotency_key: string | null;
  request_hash: string;
  amount: number;
  currency: string;
  payment_method: string;
  description: string | null;
  status: 'succeeded' | 'failed';
  failure_code: string | null;
  amount_refunded: Generated<number>;
  created_at: CreatedAt;
}

export interface RefundsTable {
  seq: Seq;
  id: string;
  idempotency_key: string | null;
  request_hash: string;
  charge_id: string;
  amount: number;
  currency: string;
  reason: string | null;
  status: 'succeeded';
  created_at: CreatedAt;
}

export interface TransientFailuresTable {
  idempotency_key: string;
  failures: number;
}

export interface SandboxDb {
  charges: ChargesTable;
  refunds: RefundsTable;
  transient_failures: TransientFailuresTable;
}

export type Executor = Kysely<SandboxDb> | Transaction<SandboxDb>;
