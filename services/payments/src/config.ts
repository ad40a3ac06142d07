import { secret } from '@lattice/platform';
import { Type } from 'typebox';

export const paymentsConfig = Type.Object({
  PAYMENTS_PROVIDER_URL: Type.String({
    default: '',
    description:
      "Base URL of the payment provider's API; unset: the payment-sandbox service found by discovery (http://127.0.0.1:8086 when discovery knows none)",
  }),
  PAYMENTS_PROVIDER_API_KEY: secret(
    Type.String({
      minLength: 1,
      default: 'sk_test_lattice_sandbox',
      description: "Secret key sent to the provider as a bearer token (the sandbox's default)",
    }),
  ),
  PAYMENTS_PROVIDER_TIMEOUT_MS: Type.Integer({
    minimum: 100,
    default: 10_000,
    description:
      'Longest wait for one provider call attempt; above the slowest normal charge (pm_card_slow takes 3 s)',
  }),
  PAYMENTS_PROVIDER_RETRIES: Type.Integer({
    minimum: 0,
    maximum: 10,
    default: 3,
    description:
      'Extra attempts of a provider call after a transient failure (timeout, refused connection, 502/503/504), with the same idempotency key',
  }),
  PAYMENTS_PROVIDER_BACKOFF_MS: Type.Integer({
    minimum: 0,
    default: 200,
    description: 'Backoff before the first retry; it doubles per retry (with full jitter)',
  }),
  PAYMENTS_PROVIDER_BACKOFF_MAX_MS: Type.Integer({
    minimum: 0,
    default: 2_000,
    description: 'Longest backoff between two retries',
  }),
  PAYMENTS_BREAKER_FAILURES: Type.Integer({
    minimum: 1,
    default: 5,
    description:
      'Consecutive failed provider attempts that open the circuit (calls then fail fast)',
  }),
  PAYMENTS_BREAKER_HALF_OPEN_MS: Type.Integer({
    minimum: 50,
    default: 10_000,
    description:
      'Time an open circuit waits before one probe call; a successful probe closes it again',
  }),
  PAYMENTS_CONCURRENCY: Type.Integer({
    minimum: 1,
    maximum: 1000,
    default: 16,
    description:
      'Provider calls (charges and refunds) one instance makes at once; each ends in a short transaction, so keep it near DATABASE_POOL_MAX',
  }),
  PAYMENTS_LEASE_MS: Type.Integer({
    minimum: 100,
    default: 60_000,
    description:
      'How long a claimed payment is left to the instance working on it; after that (a crash) another attempt takes it over. Above a call with all its retries',
  }),
  PAYMENTS_POLL_INTERVAL_MS: Type.Integer({
    minimum: 10,
    default: 1_000,
    description:
      'How often due work is looked for besides the wake-up at each commit (catches expired leases and retries)',
  }),
  PAYMENTS_RECONCILE_AFTER_MS: Type.Integer({
    minimum: 0,
    default: 60_000,
    description:
      'After a charge failed as payment_unavailable, how long to wait before asking the provider whether it charged anyway (and refunding it if so); above the longest a provider takes to answer',
  }),
  PAYMENTS_REFUND_RETRY_MAX_MS: Type.Integer({
    minimum: 10,
    default: 60_000,
    description:
      'Longest wait between two attempts of a refund or reconciliation the provider could not take (both are retried until done)',
  }),
});

export type PaymentsConfigProperties = (typeof paymentsConfig)['properties'];
