import { secret } from '@lattice/platform';
import { Type } from 'typebox';

const seconds = (defaultValue: number, minimum: number, description: string) =>
  Type.Integer({ minimum, default: defaultValue, description });

export const authConfig = Type.Object({
  JWT_PRIVATE_KEY: secret(
    Type.String({
      default: '',
      description:
        'Ed25519 private keys (PEM PKCS8), concatenated: the last one signs, all are published in the JWKS. Required in distributed mode; embedded mode generates one under DATA_DIR',
    }),
  ),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: seconds(900, 30, 'Lifetime of an access token'),
  AUTH_REFRESH_TOKEN_TTL_DAYS: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Lifetime of a refresh token; each rotation starts a new one',
  }),
  AUTH_REFRESH_REUSE_GRACE_SECONDS: seconds(
    0,
    0,
    'A used refresh token presented again within this time is refused without revoking its family (for clients that cannot serialise refreshes); 0 is strict RFC 9700 reuse detection',
  ),
  AUTH_INVITATION_TTL_HOURS: Type.Integer({
    minimum: 1,
    default: 168,
    description: 'Lifetime of an invitation',
  }),
  PLATFORM_ADMIN_EMAILS: Type.String({
    default: '',
    description: 'Comma-separated emails of the accounts that also get the platform-admin role',
  }),
  AUTH_SERVICE_CREDENTIALS: secret(
    Type.String({
      default: '',
      description:
        'Service credentials for service tokens: name=secret pairs, comma-separated (secrets of 32+ characters); the embedded runtime and the local supervisor generate them',
    }),
  ),
  AUTH_SERVICE_TOKEN_TTL_SECONDS: Type.Integer({
    minimum: 30,
    maximum: 3600,
    default: 300,
    description: 'Lifetime of a service token',
  }),
  AUTH_EMBEDDED_OPERATOR: Type.Boolean({
    default: true,
    description: `Embedded mode without PLATFORM_ADMIN_EMAILS: create the platform-admin operator@lattice.local at first start and print its password once`,
  }),
  AUTH_ARGON2_MEMORY_KIB: Type.Integer({
    minimum: 19_456,
    default: 19_456,
    description: 'argon2id memory cost of new password hashes (OWASP minimum 19456)',
  }),
  AUTH_ARGON2_PASSES: Type.Integer({
    minimum: 2,
    default: 2,
    description: 'argon2id time cost (iterations) of new password hashes',
  }),
  AUTH_ARGON2_PARALLELISM: Type.Integer({
    minimum: 1,
    maximum: 16,
    default: 1,
    description: 'argon2id lanes of new password hashes',
  }),
  AUTH_LOGIN_FREE_FAILURES_PER_ACCOUNT: Type.Integer({
    minimum: 1,
    default: 5,
    description: 'Failed logins for one email before backoff windows start',
  }),
  AUTH_LOGIN_FREE_FAILURES_PER_IP: Type.Integer({
    minimum: 1,
    default: 30,
    description: 'Failed logins from one client IP before backoff windows start',
  }),
  AUTH_LOGIN_BACKOFF_BASE_SECONDS: seconds(1, 1, 'First backoff window; each failure doubles it'),
  AUTH_LOGIN_BACKOFF_MAX_SECONDS: seconds(
    900,
    1,
    'Longest backoff window: no lockout is permanent',
  ),
  AUTH_LOGIN_FAILURE_MEMORY_SECONDS: seconds(
    3600,
    1,
    'Failures are forgotten after this long without a new one',
  ),
  AUTH_TRUSTED_PROXIES: Type.String({
    default: '127.0.0.1,::1,::ffff:127.0.0.1',
    description:
      'Peers whose X-Forwarded-For is believed when finding the client IP (the gateway); * trusts any',
  }),
});

export type AuthConfigProperties = (typeof authConfig)['properties'];
