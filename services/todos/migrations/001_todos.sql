-- Todos, their audit trail and the idempotency keys of POST /todos. Every table carries
-- tenant_id and owner_id: the repository scopes every query by both (src/data/todos.ts).
-- Tenant, user and actor ids are text, not uuid: they are the auth service's ids, whose format
-- is auth's business; a token or event with another shape then finds nothing instead of
-- failing on a cast.

CREATE TABLE todos (
  id uuid PRIMARY KEY,
  tenant_id text NOT NULL,
  owner_id text NOT NULL,
  title text NOT NULL,
  description text,
  done boolean NOT NULL DEFAULT false,
  due_at timestamptz,
  completed_at timestamptz,
  -- Starts at 1 and grows by one with every change: the ETag, and the If-Match check.
  version integer NOT NULL,
  -- Written by the service in milliseconds (JavaScript dates), so a cursor that carries it
  -- round-trips exactly.
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  -- Soft delete: the row stays, with who deleted it and when, until it is restored.
  deleted_at timestamptz,
  deleted_by text,
  CHECK ((deleted_at IS NULL) = (deleted_by IS NULL))
);
-- Keyset pagination of one owner's live todos, newest first.
CREATE INDEX todos_owner_page_idx ON todos (tenant_id, owner_id, created_at DESC, id DESC)
  WHERE deleted_at IS NULL;

-- Written in the same transaction as the change it describes, so the trail is never missing
-- a change nor showing one that rolled back.
CREATE TABLE todo_history (
  seq bigserial PRIMARY KEY,
  todo_id uuid NOT NULL REFERENCES todos (id),
  tenant_id text NOT NULL,
  owner_id text NOT NULL,
  actor_id text NOT NULL,
  action text NOT NULL CHECK (action IN ('created', 'updated', 'deleted', 'restored')),
  -- { field: { from, to } } for the fields the change touched.
  changes jsonb NOT NULL,
  at timestamptz NOT NULL
);
CREATE INDEX todo_history_todo_idx ON todo_history (todo_id, seq);

-- The first response to each Idempotency-Key, per caller, written in the transaction that
-- creates the todo: a key exists if and only if its todo does. Kept 24 hours.
CREATE TABLE idempotency_keys (
  tenant_id text NOT NULL,
  owner_id text NOT NULL,
  key text NOT NULL,
  -- SHA-256 of the request body in canonical JSON: the same key with another body is refused.
  request_hash text NOT NULL,
  status smallint NOT NULL,
  response jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (tenant_id, owner_id, key)
);
-- The sweeper deletes expired keys without scanning the live ones.
CREATE INDEX idempotency_keys_created_at_idx ON idempotency_keys (created_at);
