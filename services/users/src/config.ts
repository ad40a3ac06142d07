import { Type } from 'typebox';

export const usersConfig = Type.Object({
  USERS_DEFAULT_LOCALE: Type.String({
    default: 'en',
    description:
      'BCP 47 locale reported for users who have not chosen one (applies to existing users too)',
  }),
  USERS_DEFAULT_TIMEZONE: Type.String({
    default: 'UTC',
    description:
      'IANA time zone reported for users who have not chosen one (applies to existing users too)',
  }),
});

export type UsersConfigProperties = (typeof usersConfig)['properties'];
