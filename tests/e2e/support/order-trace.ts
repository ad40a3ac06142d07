// Issue-level tracing check: one order through the gateway is ONE trace, from the gateway to the
// notifications consumer, whichever processes the spans were recorded in.
import assert from 'node:assert/strict';
import { findSpans, type SpanExpectation } from '@lattice/platform/testing';

/** Every hop an order's saga takes, as spans. */
export const ORDER_TRACE: SpanExpectation[] = [
  { service: 'gateway', kind: 'server', name: /^POST / },
  { service: 'gateway', kind: 'client' },
  { service: 'orders', kind: 'server', name: 'POST /api/v1/orders' },
  { service: 'orders', kind: 'producer', name: 'send orders.order.placed.v1' },
  { service: 'payments', kind: 'consumer', name: 'process orders.order.placed.v1' },
  { service: 'payments', kind: 'internal', name: 'payment.charge' },
  { service: 'payments', kind: 'client', name: /^POST/ },
  { service: 'payment-sandbox', kind: 'server', name: /^POST \/v1\/charges/ },
  { service: 'payments', kind: 'producer', name: 'send payments.payment.succeeded.v1' },
  { service: 'orders', kind: 'consumer', name: 'process payments.payment.succeeded.v1' },
  { service: 'notifications', kind: 'consumer', name: 'process orders.order.confirmed.v1' },
];

export interface TracedSpan {
  service: string;
  name: string;
  kind: string;
  spanId: string;
  parentSpanId?: string;
}

/** The charge span is a descendant of the order's placement, through the bus. */
export function assertCausalChain(spans: TracedSpan[], placed: TracedSpan, charge: TracedSpan) {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let at = charge.parentSpanId; at; at = byId.get(at)?.parentSpanId) {
    if (at === placed.spanId) return;
  }
  assert.fail(
    `${charge.service} ${charge.name} does not descend from ${placed.service} ${placed.name}`,
  );
}

/**
 * Waits until `read()` holds spans matching every expectation of ORDER_TRACE, then checks they
 * form one tree (one root) and that the charge descends from the placement.
 */
export async function expectOrderTrace(read: () => TracedSpan[], timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const spans = read();
    const matched = findSpans(spans as never, ORDER_TRACE) as TracedSpan[] | undefined;
    if (matched) {
      const ids = new Set(spans.map((s) => s.spanId));
      const roots = spans.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
      const oneTree = new Set(roots.map((s) => s.parentSpanId ?? 'none')).size === 1;
      // Spans arrive when they end (and in export batches): a parent may come a moment later.
      if (oneTree || Date.now() > deadline) {
        assert.ok(
          oneTree,
          `not one tree: ${roots.map((s) => `${s.service} ${s.name}`).join(', ')}`,
        );
        assertCausalChain(spans, matched[3]!, matched[5]!);
        return;
      }
    } else if (Date.now() > deadline) {
      assert.fail(
        `the trace lacks hops after ${timeoutMs} ms; it has:\n${spans.map((s) => `  ${s.service} ${s.kind} ${s.name}`).join('\n')}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
