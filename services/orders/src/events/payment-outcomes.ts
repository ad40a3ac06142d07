import type { PaymentFailedV1, PaymentRefundedV1, PaymentSucceededV1 } from '@lattice/contracts';
import type { CloudEvent, ConsumerSpec } from '@lattice/platform';
import type { FastifyBaseLogger } from 'fastify';
import type { EventMetadata } from '../data/event-store.ts';
import type { OrdersDb } from '../data/schema.ts';
import type { OrdersDeps } from '../domain/deps.ts';
import {
  applyPaymentOutcome,
  applyPaymentOutcomes,
  type PaymentOutcome,
  type SagaStep,
} from '../domain/payment-saga.ts';

export const PAYMENT_SUCCEEDED = 'lattice.payments.payment.succeeded.v1';
export const PAYMENT_FAILED = 'lattice.payments.payment.failed.v1';
export const PAYMENT_REFUNDED = 'lattice.payments.payment.refunded.v1';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type PaymentEventData = PaymentSucceededV1 | PaymentFailedV1 | PaymentRefundedV1;

/**
 * Consumer group `orders_payment-outcomes`: the three payment outcomes in one group, so a
 * refund is handled after the success it gives back. The kit checks each message against its
 * contract first (a malformed one is dead-lettered before this handler) and records each event
 * id in the inbox in the handler's transaction (a duplicate is skipped).
 */
export function paymentOutcomesConsumer(
  deps: OrdersDeps,
  log: FastifyBaseLogger,
): ConsumerSpec<PaymentEventData, OrdersDb> {
  const report = (event: CloudEvent<PaymentEventData>, step: SagaStep) => {
    if (step.ignored) {
      log.warn(
        { eventId: event.id, orderId: event.data.orderId, why: step.ignored },
        'payment outcome ignored',
      );
    }
    deps.metrics.count(step.appended);
  };
  return {
    name: 'payment-outcomes',
    types: [PAYMENT_SUCCEEDED, PAYMENT_FAILED, PAYMENT_REFUNDED],
    handler: async (event, trx) => {
      if (!aboutAnOrder(event, log)) return;
      report(
        event,
        await applyPaymentOutcome(deps, trx, outcomeOf(event.type, event.data), metadataOf(event)),
      );
    },
    // A batch of outcomes costs one read and one write of each kind (not five round trips per
    // event); a batch that fails (a concurrent change) is applied again event by event.
    handleBatch: async (events, trx) => {
      const mine = events.filter((event) => aboutAnOrder(event, log));
      const steps = await applyPaymentOutcomes(
        deps,
        trx,
        mine.map((event) => ({
          outcome: outcomeOf(event.type, event.data),
          metadata: metadataOf(event),
        })),
      );
      for (const [index, step] of steps.entries())
        report(mine[index] as CloudEvent<PaymentEventData>, step);
    },
  };
}

/** Order ids are uuids; any other id names no order here (and would fail the uuid cast). */
function aboutAnOrder(event: CloudEvent<PaymentEventData>, log: FastifyBaseLogger): boolean {
  if (UUID.test(event.data.orderId)) return true;
  log.warn({ eventId: event.id, orderId: event.data.orderId }, 'payment for no order');
  return false;
}

function metadataOf(event: CloudEvent<PaymentEventData>): EventMetadata {
  return {
    causationId: event.id,
    actor: 'service:payments',
    ...(event.traceparent ? { traceparent: event.traceparent } : {}),
  };
}

function outcomeOf(type: string, data: PaymentEventData): PaymentOutcome {
  if (type === PAYMENT_SUCCEEDED) return { kind: 'succeeded', payment: data };
  if (type === PAYMENT_FAILED) return { kind: 'failed', payment: data as PaymentFailedV1 };
  return { kind: 'refunded', payment: data as PaymentRefundedV1 };
}
