import { Type } from 'typebox';

const Email = Type.String({ format: 'email', maxLength: 254, description: 'Case-insensitive' });
// The policy (10–128 characters) is checked by the use case, which names the reason; this
// bound only stops absurd bodies before any hashing.
const Password = Type.String({ maxLength: 1024 });
const Role = Type.Union([Type.Literal('member'), Type.Literal('admin')]);
const OpaqueToken = Type.String({ minLength: 1, maxLength: 512 });

export const RegisterBody = Type.Object({
  email: Email,
  password: Password,
  name: Type.String({ minLength: 1, maxLength: 200 }),
  tenantName: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  inviteToken: Type.Optional(OpaqueToken),
});

export const LoginBody = Type.Object({ email: Email, password: Password });

export const RefreshBody = Type.Object({ refreshToken: OpaqueToken });

export const InvitationBody = Type.Object({ email: Email, role: Role });

export const SessionReply = Type.Object({
  user: Type.Object({
    id: Type.String(),
    email: Type.String(),
    name: Type.String(),
    tenantId: Type.String(),
    roles: Type.Array(Type.String()),
  }),
  accessToken: Type.String(),
  refreshToken: Type.String(),
  tokenType: Type.Literal('Bearer'),
  expiresIn: Type.Integer({ description: 'Seconds until the access token expires' }),
});

export const InvitationReply = Type.Object({
  inviteToken: Type.String(),
  expiresAt: Type.String({ format: 'date-time' }),
});

export const JwksReply = Type.Object({
  keys: Type.Array(Type.Object({}, { additionalProperties: true })),
});
