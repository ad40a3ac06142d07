-- The time of the latest todo event a reminder reflects (the CloudEvent time, which todos sets
-- to the change's). Events of one todo may be applied out of order (a retried delivery comes
-- after a later one), so an update older than what a reminder already reflects is left alone.
-- Rows from before this column count as older than any event.
ALTER TABLE reminders ADD COLUMN todo_changed_at timestamptz NOT NULL DEFAULT '-infinity';
