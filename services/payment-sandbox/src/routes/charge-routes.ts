import type { ServiceApp } from '@lattice/platform';
import { createCharge, getCharge, listCharges } from '../domain/charges.ts';
import type { SandboxDeps } from '../domain/deps.ts';
import { createRefund } from '../domain/refunds.ts';
import {
  ChargeBody,
  ChargeListQuery,
  ChargeParams,
  IdempotencyHeaders,
  OutageBody,
  RefundBody,
} from './schemas.ts';

const tags = ['sandbox'];
const description = 'Requires `Authorization: Bearer <PAYMENT_SANDBOX_API_KEY>`';

/** The processor's API, in its own vocabulary. Declared inside the /v1 scope (see app.ts). */
export function registerChargeRoutes(scope: ServiceApp, deps: SandboxDeps): void {
  scope.post(
    '/charges',
    {
      schema: {
        tags,
        summary: 'Charge a test payment method (402 when declined, 503 when transiently failing)',
        description,
        headers: IdempotencyHeaders,
        body: ChargeBody,
      },
    },
    async (request, reply) => {
      const answer = await createCharge(deps, request.body, request.headers['idempotency-key']);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return answer.charge;
    },
  );

  scope.get(
    '/charges',
    {
      schema: {
        tags,
        summary: 'Charges, newest first (filters for tests and operators)',
        description,
        querystring: ChargeListQuery,
      },
    },
    async (request) => listCharges(deps, request.query),
  );

  scope.get(
    '/charges/:id',
    { schema: { tags, summary: 'One charge', description, params: ChargeParams } },
    async (request) => getCharge(deps, request.params.id),
  );

  scope.post(
    '/refunds',
    {
      schema: {
        tags,
        summary: 'Refund a succeeded charge in full, once',
        description,
        headers: IdempotencyHeaders,
        body: RefundBody,
      },
    },
    async (request, reply) => {
      const answer = await createRefund(deps, request.body, request.headers['idempotency-key']);
      if (answer.replayed) reply.header('idempotent-replayed', 'true');
      return answer.refund;
    },
  );

  scope.get(
    '/sandbox/outage',
    { schema: { tags, summary: 'Whether an outage is being simulated', description } },
    async () => deps.outage.state,
  );

  scope.post(
    '/sandbox/outage',
    {
      schema: {
        tags,
        summary: 'Start or end a simulated outage: every other /v1 call answers 503 meanwhile',
        description,
        body: OutageBody,
      },
    },
    async (request) => {
      deps.outage.set(request.body.enabled, request.body.mode);
      scope.log.warn({ outage: deps.outage.state }, 'sandbox outage switched');
      return deps.outage.state;
    },
  );
}
