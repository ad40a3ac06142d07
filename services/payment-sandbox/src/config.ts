import { secret } from '@lattice/platform';
import { Type } from 'typebox';

export const sandboxConfig = Type.Object({
  PAYMENT_SANDBOX_API_KEY: secret(
    Type.String({
      minLength: 8,
      default: 'sk_test_lattice_sandbox',
      description:
        'Secret key every /v1 call must send as "Authorization: Bearer <key>" (the payments service sends PAYMENTS_PROVIDER_API_KEY)',
    }),
  ),
  PAYMENT_SANDBOX_SLOW_MS: Type.Integer({
    minimum: 0,
    maximum: 120_000,
    default: 3000,
    description: 'How long a charge with pm_card_slow takes before it answers',
  }),
  PAYMENT_SANDBOX_FLAKY_FAILURES: Type.Integer({
    minimum: 0,
    maximum: 100,
    default: 2,
    description:
      'How many times a charge with pm_card_flaky fails transiently (503) per Idempotency-Key before it succeeds',
  }),
  PAYMENT_SANDBOX_OUTAGE: Type.Boolean({
    default: false,
    description:
      'Start in a simulated outage: every /v1 call but /v1/sandbox/* answers 503 until POST /v1/sandbox/outage {"enabled":false}',
  }),
});

export type SandboxConfigProperties = (typeof sandboxConfig)['properties'];
