-- One row per recipient per event: the unique key makes a redelivered event (even under another
-- consumer batch or instance) a no-op. A row is written by the consumer with the event's facts
-- (`params`) and published later, outside that transaction, once rendered with the recipient's
-- locale and time zone (the users service must not be called while a transaction holds the
-- embedded database's single connection). `created_at` is the publication time: the API and the
-- live stream only ever see published rows.
CREATE TABLE notifications (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  event_id text NOT NULL,
  type text NOT NULL,
  params jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  title text,
  body text,
  -- false when the recipient turned in-app off for the type: kept for idempotency, never shown.
  in_app boolean NOT NULL DEFAULT true,
  created_at timestamptz,
  read_at timestamptz,
  CONSTRAINT notifications_event_user_key UNIQUE (event_id, user_id)
);
-- The publisher's backlog.
CREATE INDEX notifications_unpublished_idx ON notifications (received_at) WHERE created_at IS NULL;
-- Keyset pages of a recipient's visible notifications, newest first, and the live stream's scans.
CREATE INDEX notifications_user_page_idx ON notifications (tenant_id, user_id, created_at DESC, id DESC)
  WHERE created_at IS NOT NULL AND in_app;
CREATE INDEX notifications_created_idx ON notifications (created_at) WHERE created_at IS NOT NULL AND in_app;

-- Where emails go: learnt from auth's registrations, so an email still goes out with the users
-- service down. The users service's profile fills in what is missing.
CREATE TABLE recipients (
  user_id text PRIMARY KEY,
  tenant_id text NOT NULL,
  email text NOT NULL,
  name text NOT NULL
);

-- Per recipient, per type: a missing row means every channel on.
CREATE TABLE preferences (
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  type text NOT NULL,
  in_app boolean NOT NULL,
  email boolean NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, type)
);

-- Todos with a due date; the worker's minute job turns the due ones into notifications.
CREATE TABLE reminders (
  todo_id text PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  title text NOT NULL,
  due_at timestamptz NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'cancelled')),
  created_at timestamptz NOT NULL DEFAULT now(),
  settled_at timestamptz
);
CREATE INDEX reminders_due_idx ON reminders (due_at) WHERE status = 'pending';

-- The email queue: written in the transaction that publishes the notification, drained after
-- commit by a loop on every instance (claims with SKIP LOCKED and a lease, so a crash resends
-- rather than loses). A failed attempt is retried with backoff until the attempts run out.
CREATE TABLE email_deliveries (
  id uuid PRIMARY KEY,
  notification_id uuid NOT NULL UNIQUE REFERENCES notifications (id),
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  type text NOT NULL,
  to_address text NOT NULL,
  subject text NOT NULL,
  text text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz
);
CREATE INDEX email_deliveries_due_idx ON email_deliveries (next_attempt_at) WHERE status = 'pending';

-- Without SMTP_URL, "sending" an email writes it here, where the API lists it.
CREATE TABLE dev_mailbox (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  user_id text NOT NULL,
  to_address text NOT NULL,
  subject text NOT NULL,
  text text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX dev_mailbox_user_idx ON dev_mailbox (tenant_id, user_id, created_at DESC, id DESC);
CREATE INDEX dev_mailbox_created_idx ON dev_mailbox (created_at DESC, id DESC);
