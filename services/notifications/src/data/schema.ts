import type { ColumnType, Kysely, Transaction } from 'kysely';

type Timestamp = ColumnType<Date, Date | undefined, Date>;
type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;
// pg parses jsonb into values; PGlite may hand back the text. Written as JSON text.
type Json = ColumnType<unknown, string, string>;

export interface NotificationsTable {
  id: string;
  tenant_id: string;
  user_id: string;
  event_id: string;
  type: string;
  params: Json;
  received_at: Timestamp;
  title: string | null;
  body: string | null;
  in_app: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: NullableTimestamp;
  read_at: NullableTimestamp;
}

export interface RecipientsTable {
  user_id: string;
  tenant_id: string;
  email: string;
  name: string;
}

export interface PreferencesTable {
  tenant_id: string;
  user_id: string;
  type: string;
  in_app: boolean;
  email: boolean;
  updated_at: Timestamp;
}

export interface RemindersTable {
  todo_id: string;
  tenant_id: string;
  user_id: string;
  title: string;
  due_at: Timestamp;
  status: 'pending' | 'sent' | 'cancelled';
  created_at: Timestamp;
  settled_at: NullableTimestamp;
  /** The time of the latest todo event applied to this reminder. */
  todo_changed_at: Timestamp;
}

export interface EmailDeliveriesTable {
  id: string;
  notification_id: string;
  tenant_id: string;
  user_id: string;
  type: string;
  to_address: string;
  subject: string;
  text: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  last_error: string | null;
  next_attempt_at: Timestamp;
  created_at: Timestamp;
  sent_at: NullableTimestamp;
}

export interface DevMailboxTable {
  id: string;
  tenant_id: string;
  user_id: string;
  to_address: string;
  subject: string;
  text: string;
  created_at: Timestamp;
}

export interface NotificationsDb {
  notifications: NotificationsTable;
  recipients: RecipientsTable;
  preferences: PreferencesTable;
  reminders: RemindersTable;
  email_deliveries: EmailDeliveriesTable;
  dev_mailbox: DevMailboxTable;
}

/** A query runs on the database or inside a transaction alike. */
export type Executor = Kysely<NotificationsDb> | Transaction<NotificationsDb>;

/** pg parses jsonb; PGlite may hand back the text. */
export function parseJson<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
