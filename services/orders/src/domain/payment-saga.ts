import type { PaymentFailedV1, PaymentRefundedV1, PaymentSucceededV1 } from '@lattice/contracts';
import type { Transaction } from 'kysely';
import type { EventMetadata } from '../data/event-store.ts';
import type { OrdersDb } from '../data/schema.ts';
import type { OrdersDeps } from './deps.ts';
import {
  type Order,
  type OrderEvent,
  paymentFailed,
  paymentRefunded,
  paymentSucceeded,
} from './order.ts';
import { type CommandResult, executeOrderCommand } from './order-store.ts';

// The saga's orchestrator: each payment outcome is a command on the order it is about. The
// decisions (src/domain/order.ts) return no events when the order already reflects the outcome,
// so a redelivered or duplicated event that slipped past the inbox changes nothing either.

export type PaymentOutcome =
  | { kind: 'succeeded'; payment: PaymentSucceededV1 }
  | { kind: 'failed'; payment: PaymentFailedV1 }
  | { kind: 'refunded'; payment: PaymentRefundedV1 };

export interface SagaStep extends CommandResult {
  /** Why the outcome changed nothing, when it was ignored outright. */
  ignored?: 'unknown order' | 'other tenant';
}

export async function applyPaymentOutcome(
  deps: OrdersDeps,
  trx: Transaction<OrdersDb>,
  outcome: PaymentOutcome,
  metadata: EventMetadata,
): Promise<SagaStep> {
  const { payment } = outcome;
  const at = deps.now();
  let ignored: SagaStep['ignored'];
  const result = await executeOrderCommand(deps, trx, {
    orderId: payment.orderId,
    metadata,
    decide: (order: Order | undefined): OrderEvent[] => {
      // An order this service never placed (or whose id is not a uuid): nothing to steer.
      if (!order) {
        ignored = 'unknown order';
        return [];
      }
      // A payment names its tenant; one that does not match the order's is not about it.
      if (order.tenantId !== payment.tenantId) {
        ignored = 'other tenant';
        return [];
      }
      switch (outcome.kind) {
        case 'succeeded':
          return paymentSucceeded(order, outcome.payment.paymentId, at);
        case 'failed':
          return paymentFailed(order, outcome.payment.reason, at);
        case 'refunded':
          return paymentRefunded(order, outcome.payment.paymentId, outcome.payment.reason, at);
      }
    },
  });
  return { ...result, ...(ignored ? { ignored } : {}) };
}
