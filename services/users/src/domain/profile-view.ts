import type { ProfileRow } from '../data/profiles.ts';
import type { UsersDeps } from './deps.ts';

/** A profile as the API shows it. */
export interface Profile {
  id: string;
  email: string;
  name: string;
  tenantId: string;
  roles: string[];
  locale: string;
  timezone: string;
  createdAt: string;
  updatedAt: string;
}

export function toProfile(row: ProfileRow, defaults: UsersDeps['defaults']): Profile {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    tenantId: row.tenant_id,
    roles: row.roles,
    locale: row.locale ?? defaults.locale,
    timezone: row.timezone ?? defaults.timezone,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
