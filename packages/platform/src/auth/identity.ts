/** Who is calling, as proven by a verified access token. */
export interface Identity {
  /** The user id (`sub`). */
  userId: string;
  tenantId: string;
  roles: string[];
  /** The token's `jti`, for audit lines. */
  tokenId: string;
  /** The bearer token itself, to call other services on the caller's behalf. */
  token: string;
}

export const ROLES = {
  member: 'member',
  admin: 'admin',
  platformAdmin: 'platform-admin',
} as const;

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the kit's `authenticate` pre-handler; undefined on public routes. */
    identity?: Identity;
  }
}
