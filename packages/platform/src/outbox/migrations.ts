import type { MigrationFile } from '../db/migrations.ts';

/**
 * The outbox and inbox tables, created in the service's own schema (migrations run with it
 * first on the search path). Named `000_…` so they sort before a service's own `001_…` files
 * and are recorded in the same `schema_migrations`. Never edit these texts once shipped: the
 * checksum check would stop every service that applied them; add a new file instead.
 */
export const outboxMigration: MigrationFile = {
  name: '000_lattice_outbox.sql',
  sql: `CREATE TABLE outbox (
  seq bigserial PRIMARY KEY,
  id uuid NOT NULL UNIQUE,
  aggregate text NOT NULL,
  type text NOT NULL,
  event jsonb NOT NULL,
  traceparent text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
-- The relay reads only unsent rows, in order; the partial index stays as small as the backlog.
CREATE INDEX outbox_unsent ON outbox (seq) WHERE sent_at IS NULL;
-- Cleanup finds sent rows past retention without scanning the backlog.
CREATE INDEX outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
`,
};

export const inboxMigration: MigrationFile = {
  name: '000_lattice_inbox.sql',
  sql: `CREATE TABLE inbox (
  consumer text NOT NULL,
  event_id text NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);
CREATE INDEX inbox_processed_at ON inbox (processed_at);
`,
};

/** Both tables, in the order `migrate` applies them; apply before the service's own migrations. */
export const outboxMigrations: MigrationFile[] = [outboxMigration, inboxMigration];
