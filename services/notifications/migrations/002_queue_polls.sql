-- The publisher's and the mailer's polls, as functions that read their partial index in order
-- and stop at the limit. Expecting few rows, the planner otherwise prefers a bitmap scan and a
-- sort, and a bitmap scan reads every entry in range, the dead ones too (rows published or sent
-- since the last vacuum: thousands under load), and never marks them dead. An ordered index scan
-- marks each dead entry it meets, so the next poll skips it. Bitmap scans are off only inside
-- these functions.

-- The backlog, oldest first (notifications_unpublished_idx).
CREATE FUNCTION unpublished_notifications(max_rows integer) RETURNS SETOF notifications
  LANGUAGE sql STABLE ROWS 50 SET enable_bitmapscan = off
  AS $$
    SELECT * FROM notifications WHERE created_at IS NULL ORDER BY received_at LIMIT max_rows
  $$;

-- Due emails, locked for the caller's transaction; rows another instance holds are skipped
-- (email_deliveries_due_idx).
CREATE FUNCTION lock_due_emails(max_rows integer) RETURNS SETOF uuid
  LANGUAGE sql VOLATILE ROWS 50 SET enable_bitmapscan = off
  AS $$
    SELECT id FROM email_deliveries
    WHERE status = 'pending' AND next_attempt_at <= now()
    ORDER BY next_attempt_at
    LIMIT max_rows
    FOR UPDATE SKIP LOCKED
  $$;
