import { Type } from 'typebox';

export const ProfileReply = Type.Object({
  id: Type.String({ format: 'uuid' }),
  email: Type.String(),
  name: Type.String(),
  tenantId: Type.String({ format: 'uuid' }),
  roles: Type.Array(Type.String()),
  locale: Type.String({ description: 'BCP 47; the installation default until the user picks one' }),
  timezone: Type.String({ description: 'IANA; the installation default until the user picks one' }),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
});

// Locale and time zone are checked against Intl by the use case, which names the field; these
// bounds only stop absurd values first.
export const ProfileUpdateBody = Type.Object({
  name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  locale: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'BCP 47 language tag, e.g. en-GB' }),
  ),
  timezone: Type.Optional(
    Type.String({ minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Europe/Paris' }),
  ),
});

export const ListQuery = Type.Object({
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  cursor: Type.Optional(
    Type.String({ maxLength: 512, description: "The previous page's nextCursor" }),
  ),
});

export const UserPageReply = Type.Object({
  items: Type.Array(ProfileReply),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as cursor for the next page; null on the last page',
  }),
});

export const UserParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
