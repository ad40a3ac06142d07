import { defineError } from '@lattice/platform';

export const UsersErrors = {
  profilePending: defineError('USERS_PROFILE_PENDING', 404, 'Profile not created yet'),
  notFound: defineError('USERS_NOT_FOUND', 404, 'User not found'),
  cannotDeleteSelf: defineError('USERS_CANNOT_DELETE_SELF', 409, 'Cannot delete yourself'),
  invalidCursor: defineError('USERS_INVALID_CURSOR', 400, 'Invalid pagination cursor'),
} as const;
