import { defineError } from '@lattice/platform';

export const AuthErrors = {
  emailTaken: defineError('AUTH_EMAIL_TAKEN', 409, 'Email already registered'),
  weakPassword: defineError('AUTH_WEAK_PASSWORD', 400, 'Password does not meet the policy'),
  invalidCredentials: defineError('AUTH_INVALID_CREDENTIALS', 401, 'Invalid email or password'),
  invalidRefreshToken: defineError('AUTH_INVALID_REFRESH_TOKEN', 401, 'Invalid refresh token'),
  invalidAccessToken: defineError('AUTH_INVALID_ACCESS_TOKEN', 401, 'Invalid access token'),
  forbidden: defineError('AUTH_FORBIDDEN', 403, 'Forbidden'),
  invalidInvitation: defineError('AUTH_INVITATION_INVALID', 400, 'Invalid invitation'),
  invalidClient: defineError('AUTH_INVALID_CLIENT', 401, 'Invalid service credentials'),
  tooManyAttempts: defineError('AUTH_TOO_MANY_ATTEMPTS', 429, 'Too many login attempts'),
} as const;
