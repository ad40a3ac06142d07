import { type PaymentRow, paymentLedger } from '../data/payments.ts';
import type { PaymentsDeps } from './deps.ts';
import type { LeaseTaker } from './local-leases.ts';
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
/** Adopted payments that may wait for a slot, per slot. */
const WAITING_PER_SLOT = 16;

export class PaymentRunner implements LeaseTaker {
  readonly #deps: PaymentsDeps;
  readonly #concurrency: number;
  /** Leased to this instance as they were written (see LocalLeases), waiting for a slot. */
  #adopted: PaymentRow[] = [];
  #soon: NodeJS.Timeout | undefined;
  readonly #pollMs: number;
  readonly #inFlight = new Set<Promise<void>>();
  #claiming = false;
  #again = false;
  #dueMaybe = true;
  #stopped = false;
  #timer: NodeJS.Timeout | undefined;
  #unlisten: (() => Promise<void>) | undefined;

  constructor(deps: PaymentsDeps, options: { concurrency: number; pollMs: number }) {
    this.#deps = deps;
    this.#concurrency = options.concurrency;
    this.#pollMs = options.pollMs;
  }

  /**
   * Up to sixteen times as many as run at once may wait for a slot: a burst of inbox batches
   * (up to 100 orders each) fits, and the last of them starts after a second or two at a few
   * milliseconds a call, far within the lease (those that do not are released, see
   * #launchAdopted). With less room, bursts overflow as due payments, and every claim of those
   * walks the due index.
   */
  room(): number {
    if (this.#stopped) return 0;
    return Math.max(0, WAITING_PER_SLOT * this.#concurrency - this.#adopted.length);
  }

  adopt(payments: PaymentRow[]): void {
    if (this.#stopped) {
      void this.#release(payments);
      return;
    }
    this.#adopted.push(...payments);
    this.#wake();
  }

  /** Adopted payments this runner will not start: due now, and every runner woken for them. */
  async #release(payments: PaymentRow[]): Promise<void> {
    if (payments.length === 0) return;
    try {
      const ledger = paymentLedger(this.#deps.database.db);
      await ledger.releaseLeases(
        payments.map((payment) => payment.id),
        this.#deps.now(),
      );
      // Released because this runner will not start them: the other instances take them.
      await ledger.wakeEveryRunner(this.#deps.workChannel);
    } catch (error) {
      // Their leases end on their own: only later, nothing is lost.
      this.#deps.log.warn(
        { err: error },
        'releasing leased payments failed; due when the lease ends',
      );
    }
  }

  async start(): Promise<void> {
    this.#deps.leases.connect(this);
    // Woken at each commit that leaves work; the poll catches ended leases and due retries.
    this.#unlisten = await this.#deps.database.listen(this.#deps.workChannel, () => this.kick());
    this.#timer = setInterval(() => this.kick(), this.#pollMs);
    this.#timer.unref();
    this.kick();
  }

  /** Looks for due work now (or right after the current look). */
  kick(): void {
    this.#dueMaybe = true;
    this.#wake();
  }

  /**
   * Fills free slots: with due work first, claimed only while some may be due (a wake-up, the
   * poll, a kick, a claim that filled every slot, a charge that left a refund due), then with
   * adopted payments. A slot freed by a finished call alone does not walk the due index for
   * nothing.
   */
  #wake(): void {
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
      this.#wake();
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
        // Due work first, oldest first, as before there were adopted payments: refunds,
        // retries and ended leases are not left behind a steady stream of new ones.
        if (this.#dueMaybe) {
          // Cleared first: a wake-up that comes during the claim sets it again.
          this.#dueMaybe = false;
          const claimed = await paymentLedger(this.#deps.database.db).claimDue(
            now,
            new Date(now.getTime() + this.#deps.leaseMs),
            free,
          );
          for (const payment of claimed) this.#launch(payment);
          if (claimed.length === free) {
            this.#dueMaybe = true;
            this.#again = true;
            continue;
          }
        }
        this.#launchAdopted(this.#concurrency - this.#inFlight.size, this.#deps.now());
      } while (this.#again && !this.#stopped);
    } catch (error) {
      // Looked for again at the next wake-up or poll.
      this.#dueMaybe = true;
      if (!this.#stopped) this.#deps.log.warn({ err: error }, 'claiming payment work failed');
    } finally {
      this.#claiming = false;
    }
  }

  /**
   * Starts up to `free` adopted payments. One with less than half its lease left (it waited
   * behind slow calls) is released instead: a call and its retries must fit in what is left of
   * a lease, or another runner would charge the same payment alongside.
   */
  #launchAdopted(free: number, now: Date): void {
    const released: PaymentRow[] = [];
    let launched = 0;
    while (launched < free && this.#adopted.length > 0) {
      const payment = this.#adopted.shift() as PaymentRow;
      const left = (payment.next_action_at?.getTime() ?? 0) - now.getTime();
      if (left < this.#deps.leaseMs / 2) {
        released.push(payment);
        continue;
      }
      this.#launch(payment);
      launched += 1;
    }
    if (released.length > 0) void this.#release(released);
  }

  #launch(payment: PaymentRow): void {
    const work = this.#act(payment)
      .then((dueAgain) => {
        if (dueAgain) this.#dueMaybe = true;
      })
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

  /** Resolves true when the payment is due again at once. */
  async #act(payment: PaymentRow): Promise<boolean> {
    const { tracing } = this.#deps;
    const step = <T>(name: string, work: () => Promise<T>) =>
      tracing.resume(payment.traceparent, name, work, { 'payment.id': payment.id });
    if (payment.status === 'pending')
      return step('payment.charge', () => chargePayment(this.#deps, payment));
    if (payment.status === 'succeeded' && payment.refund_reason !== null) {
      await step('payment.refund', () => refundPayment(this.#deps, payment));
      return false;
    }
    if (payment.status === 'failed' && payment.failure_reason === 'payment_unavailable') {
      await step('payment.reconcile', () => reconcilePayment(this.#deps, payment));
      return false;
    }
    // Nothing left to do (settled meanwhile): stop being due.
    await paymentLedger(this.#deps.database.db).update(payment.id, { next_action_at: null });
    return false;
  }

  /**
   * Stops claiming and waits for the calls in flight, so their outcomes are committed. Adopted
   * payments not started are released, for the other instances to charge now rather than when
   * their leases end.
   */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#deps.leases.connect(undefined);
    if (this.#timer) clearInterval(this.#timer);
    if (this.#soon) clearTimeout(this.#soon);
    // Not listening any more before releasing: a wake-up then reaches the other instances.
    await this.#unlisten?.().catch(() => {});
    await this.#release(this.#adopted.splice(0));
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }
}
