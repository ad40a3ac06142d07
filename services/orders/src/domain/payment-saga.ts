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
import {
  type CommandResult,
  executeOrderCommand,
  executeOrderCommands,
  type OrderCommand,
} from './order-store.ts';

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
  const step = sagaCommand(deps, outcome, metadata);
  const result = await executeOrderCommand(deps, trx, step.command);
  return step.result(result);
}

/**
 * Several outcomes in one go (a consumer's batch): what `applyPaymentOutcome` does to each in
 * turn, with one read and one write of each kind per round. An order named twice waits for a
 * later round, so it is decided on the state its earlier outcome left.
 */
export async function applyPaymentOutcomes(
  deps: OrdersDeps,
  trx: Transaction<OrdersDb>,
  outcomes: ReadonlyArray<{ outcome: PaymentOutcome; metadata: EventMetadata }>,
): Promise<SagaStep[]> {
  const steps = outcomes.map(({ outcome, metadata }) => sagaCommand(deps, outcome, metadata));
  const results: SagaStep[] = new Array(steps.length);
  let waiting = steps.map((_, index) => index);
  while (waiting.length > 0) {
    const round: number[] = [];
    const later: number[] = [];
    const named = new Set<string>();
    for (const index of waiting) {
      const orderId = (steps[index] as SagaCommand).command.orderId.toLowerCase();
      if (named.has(orderId)) later.push(index);
      else {
        named.add(orderId);
        round.push(index);
      }
    }
    const done = await executeOrderCommands(
      deps,
      trx,
      round.map((index) => (steps[index] as SagaCommand).command),
    );
    for (const [i, index] of round.entries()) {
      results[index] = (steps[index] as SagaCommand).result(done[i] as CommandResult);
    }
    waiting = later;
  }
  return results;
}

interface SagaCommand {
  command: OrderCommand;
  /** The command's result as a saga step, once it ran. */
  result(done: CommandResult): SagaStep;
}

function sagaCommand(
  deps: OrdersDeps,
  outcome: PaymentOutcome,
  metadata: EventMetadata,
): SagaCommand {
  const { payment } = outcome;
  const at = deps.now();
  let ignored: SagaStep['ignored'];
  return {
    command: {
      orderId: payment.orderId,
      metadata,
      decide: (order: Order | undefined): OrderEvent[] => {
        ignored = undefined;
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
    },
    result: (done) => ({ ...done, ...(ignored ? { ignored } : {}) }),
  };
}
