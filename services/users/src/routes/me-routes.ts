import type { ServiceApp, ServiceContext } from '@lattice/platform';
import type { UsersDeps } from '../domain/deps.ts';
import { getMyProfile, updateMyProfile } from '../domain/my-profile.ts';
import { callerOf } from './caller.ts';
import { ProfileReply, ProfileUpdateBody } from './schemas.ts';

const tags = ['users'];
const description = 'Requires `Authorization: Bearer <accessToken>`';

export function registerMeRoutes(
  app: ServiceApp,
  deps: UsersDeps,
  auth: ServiceContext['auth'],
): void {
  // The kit's pre-handlers run as onRequest hooks here: an anonymous caller is refused before
  // its body is parsed or validated, and learns nothing from a 400.
  app.get(
    '/api/v1/users/me',
    {
      onRequest: [auth.authenticate],
      schema: {
        tags,
        summary:
          "The caller's profile (404 USERS_PROFILE_PENDING with Retry-After just after registering)",
        description,
        response: { 200: ProfileReply },
      },
    },
    async (request) => getMyProfile(deps, callerOf(request)),
  );

  app.patch(
    '/api/v1/users/me',
    {
      onRequest: [auth.authenticate],
      schema: {
        tags,
        summary: "Change the caller's name, locale or time zone",
        description,
        body: ProfileUpdateBody,
        response: { 200: ProfileReply },
      },
    },
    async (request) => updateMyProfile(deps, callerOf(request), request.body),
  );
}
