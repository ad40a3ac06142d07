import { type PaymentRow, paymentLedger } from '../data/payments.ts';
import type { PaymentsDeps } from './deps.ts';
import { reconcilePayment } from './reconcile-payment.ts';
import { chargePayment } from './settle-charge.ts';
import { refundPayment } from './settle-refund.ts';

/**
 * Does the provider calls, outside any consumer's transaction: the order.placed consumer only
 * writes a pending payment (fast, in the inbox's transaction) and the runner charges it. So a
 * slow provider never holds a database transaction open, and up to `concurrency` calls run at
 * once. Work is claimed with a lease (see `claimDue`), so several instances share it and a
 * crash only delays it.
 */
/** How long freed slots wait for others before they are claimed together. */
const CLAIM_COALESCE_MS = 5;

export class PaymentRunner {
  readonly #deps: PaymentsDeps;
  readonly #concurrency: number;
  #soon: NodeJS.Timeout | undefined;
  readonly #pollMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  #claiming = false;
  #again = false;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(deps: PaymentsDeps, options: { concurrency: number; pollMs: number }) {
    this.#deps = deps;
    this.#concurrency = options.concurrency;
    this.#pollMs = options.pollMs;
  }

  async start(): Promise<void> {
    // Woken at each commit that leaves work; the poll catches ended leases and due retries.
    this.#unlisten = await this.#deps.database.listen(this.#deps.workChannel, () => this.kick());
    this.#timer = setInterval(() => this.kick(), this.#pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** Looks for due work now (or right after the current look). */
  kick(): void {
    if (this.#stopped) return;
    if (this.#claiming) {
      this.#again = true;
      return;
    }
    void this.#claimLoop();
  }

  /**
   * A kick a few ms later, shared by every call that finishes meanwhile: under load the freed
   * slots are claimed together, not one claim (a round trip and a locking scan) per slot.
   */
  #kickSoon(): void {
    if (this.#soon || this.#stopped) return;
    this.#soon = setTimeout(() => {
      this.#soon = undefined;
      this.kick();
    }, CLAIM_COALESCE_MS);
  }

  async #claimLoop(): Promise<void> {
    this.#claiming = true;
    try {
      do {
        this.#again = false;
        const free = this.#concurrency - this.#inFlight.size;
        // A call that finishes kicks again.
        if (free <= 0) break;
        const now = this.#deps.now();
        const claimed = await paymentLedger(this.#deps.database.db).claimDue(
          now,
          new Date(now.getTime() + this.#deps.leaseMs),
          free,
        );
        for (const payment of claimed) this.#launch(payment);
        if (claimed.length === free) this.#again = true;
      } while (this.#again && !this.#stopped);
    } catch (error) {
      if (!this.#stopped) this.#deps.log.warn({ err: error }, 'claiming payment work failed');
    } finally {
      this.#claiming = false;
    }
  }

  #launch(payment: PaymentRow): void {
    const work = this.#act(payment)
      .catch((error: unknown) => {
        // The lease ends and the work is claimed again: nothing is lost, only delayed.
        this.#deps.log.error(
          { err: error, paymentId: payment.id },
          'payment work failed; retried when its lease ends',
        );
      })
      .finally(() => {
        this.#inFlight.delete(work);
        this.#kickSoon();
      });
    this.#inFlight.add(work);
  }

  async #act(payment: PaymentRow): Promise<void> {
    const { tracing } = this.#deps;
    const step = (name: string, work: () => Promise<void>) =>
      tracing.resume(payment.traceparent, name, work, { 'payment.id': payment.id });
    if (payment.status === 'pending')
      return step('payment.charge', () => chargePayment(this.#deps, payment));
    if (payment.status === 'succeeded' && payment.refund_reason !== null)
      return step('payment.refund', () => refundPayment(this.#deps, payment));
    if (payment.status === 'failed' && payment.failure_reason === 'payment_unavailable')
      return step('payment.reconcile', () => reconcilePayment(this.#deps, payment));
    // Nothing left to do (settled meanwhile): stop being due.
    await paymentLedger(this.#deps.database.db).update(payment.id, { next_action_at: null });
  }

  /** Stops claiming and waits for the calls in flight, so their outcomes are committed. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    await this.#unlisten?.().catch(() => {});
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
