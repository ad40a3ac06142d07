import type { ColumnType, Kysely, Transaction } from 'kysely';

type Timestamp = ColumnType<Date, Date, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export interface ProfilesTable {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  roles: string[];
  locale: string | null;
  timezone: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
  deleted_by: string | null;
}

export interface UsersDb {
  profiles: ProfilesTable;
}

/** Repositories take either the database or an open transaction, so use cases choose the boundary. */
export type Executor = Kysely<UsersDb> | Transaction<UsersDb>;
