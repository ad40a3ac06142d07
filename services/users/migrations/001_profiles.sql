-- Profiles of the accounts the auth service registers: the id is auth's user id, created by
-- the auth.user.registered.v1 consumer. Credentials stay in auth. A deleted profile is kept
-- (deleted_at, deleted_by) so a redelivered registration cannot bring it back.
CREATE TABLE profiles (
  id uuid PRIMARY KEY,
  tenant_id uuid NOT NULL,
  email text NOT NULL,
  name text NOT NULL,
  roles text[] NOT NULL,
  -- NULL until the user chooses: readers see the installation default, which may change.
  locale text,
  timezone text,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  deleted_at timestamptz,
  deleted_by uuid
);
-- Keyset pagination of a tenant's live users, newest first.
CREATE INDEX profiles_tenant_page_idx ON profiles (tenant_id, created_at DESC, id DESC)
  WHERE deleted_at IS NULL;
