import type { ColumnType, Generated, Kysely, Transaction } from 'kysely';

type Timestamp = ColumnType<Date, Date | undefined, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

export type Role = 'admin' | 'member';

export interface TenantsTable {
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface UsersTable {
  id: string;
  tenant_id: string;
  email: string;
  name: string;
  role: Role;
  password_hash: string;
  created_at: Timestamp;
  updated_at: Timestamp;
  deleted_at: NullableTimestamp;
}

export interface RefreshTokenFamiliesTable {
  id: string;
  tenant_id: string;
  user_id: string;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
  revoked_reason: string | null;
}

export interface RefreshTokensTable {
  id: string;
  tenant_id: string;
  family_id: string;
  user_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Date;
  used_at: NullableTimestamp;
}

export interface InvitationsTable {
  id: string;
  tenant_id: string;
  email: string;
  role: Role;
  token_hash: string;
  invited_by: string;
  created_at: Timestamp;
  expires_at: Date;
  accepted_at: NullableTimestamp;
  accepted_by: string | null;
}

export interface LoginThrottleTable {
  key: string;
  failures: Generated<number>;
  last_failure_at: NullableTimestamp;
  blocked_until: NullableTimestamp;
}

export interface AuthDb {
  tenants: TenantsTable;
  users: UsersTable;
  refresh_token_families: RefreshTokenFamiliesTable;
  refresh_tokens: RefreshTokensTable;
  invitations: InvitationsTable;
  login_throttle: LoginThrottleTable;
}

/** Repositories take either the database or an open transaction, so use cases choose the boundary. */
export type Executor = Kysely<AuthDb> | Transaction<AuthDb>;

const UNIQUE_VIOLATION = '23505';

export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string } | null)?.code === UNIQUE_VIOLATION;
}
