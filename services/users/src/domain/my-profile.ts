import type { Identity } from '@lattice/platform';
import type { ProfileChanges, ProfileRow } from '../data/profiles.ts';
import { UsersErrors } from '../errors.ts';
import { callerProfiles } from './caller.ts';
import type { UsersDeps } from './deps.ts';
import { canonicalLocale, canonicalTimeZone, invalidField } from './preferences.ts';
import { type Profile, toProfile } from './profile-view.ts';

export interface ProfileUpdate {
  name?: string;
  locale?: string;
  timezone?: string;
}

/**
 * The caller's own profile. A token proves the account exists, so a missing profile means the
 * registration event has not been applied yet: the client is told to retry, not that it is gone.
 */
export async function getMyProfile(deps: UsersDeps, caller: Identity): Promise<Profile> {
  const row = await callerProfiles(deps.database.db, caller).find(caller.userId);
  return toProfile(liveOrThrow(row), deps.defaults);
}

export async function updateMyProfile(
  deps: UsersDeps,
  caller: Identity,
  update: ProfileUpdate,
): Promise<Profile> {
  const changes = validChanges(update);
  const profiles = callerProfiles(deps.database.db, caller);
  // An empty change leaves updated_at alone: nothing happened to the profile.
  const row =
    Object.keys(changes).length === 0
      ? await profiles.find(caller.userId)
      : ((await profiles.update(caller.userId, changes, deps.now())) ??
        (await profiles.find(caller.userId)));
  return toProfile(liveOrThrow(row), deps.defaults);
}

function liveOrThrow(row: ProfileRow | undefined): ProfileRow {
  if (!row) {
    throw UsersErrors.profilePending(
      'Your profile is being created from your registration and appears within moments; retry shortly',
      { headers: { 'retry-after': '1' } },
    );
  }
  if (row.deleted_at) throw UsersErrors.notFound('This user has been deleted');
  return row;
}

/** Stored canonical, so `en-us` and `en-US` are one locale to every reader. */
function validChanges(update: ProfileUpdate): ProfileChanges {
  const changes: ProfileChanges = {};
  if (update.name !== undefined) {
    const name = update.name.trim();
    if (name.length === 0) throw invalidField('body.name', 'must not be blank');
    changes.name = name;
  }
  if (update.locale !== undefined) {
    const locale = canonicalLocale(update.locale);
    if (!locale) throw invalidField('body.locale', 'must be a BCP 47 language tag, e.g. en-GB');
    changes.locale = locale;
  }
  if (update.timezone !== undefined) {
    const timezone = canonicalTimeZone(update.timezone);
    if (!timezone)
      throw invalidField('body.timezone', 'must be an IANA time zone, e.g. Europe/Paris');
    changes.timezone = timezone;
  }
  return changes;
}
