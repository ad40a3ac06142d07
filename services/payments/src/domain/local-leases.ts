import type { PaymentRow } from '../data/payments.ts';

/** What the runner offers the order.placed consumer. */
export interface LeaseTaker {
  /** How many more payments the runner would take now without a claim. */
  room(): number;
  /** Payments committed already leased to this instance, to charge without claiming them. */
  adopt(payments: PaymentRow[]): void;
}

/**
 * Lets the order.placed consumer write new payments already leased to this instance and hand
 * them to its runner once committed: no claim statement, no wake-up and no second write of the
 * row (whose due-index entry would be one more dead version for every later claim to walk).
 * Only as many as the runner has room for; the rest are written due, for any runner to claim.
 * A crash before they are charged leaves them leased: claimed again when the lease ends, as
 * after a crash in the middle of a charge; a runner that stops, or cannot start one within half
 * its lease, releases it (due now) instead.
 */
export class LocalLeases {
  #taker: LeaseTaker | undefined;
  // Keyed by the consumer's event objects: the batch's rows wait here for its commit. An event
  // applied again (its batch rolled back) is unstaged first, and a staged row whose event is
  // never committed goes with the event.
  readonly #staged = new WeakMap<object, PaymentRow>();

  connect(taker: LeaseTaker | undefined): void {
    this.#taker = taker;
  }

  room(): number {
    return this.#taker?.room() ?? 0;
  }

  /** Forgets what an earlier, rolled-back application of `event` staged. */
  unstage(event: object): void {
    this.#staged.delete(event);
  }

  /** A payment leased in the consumer's transaction, for the event that asked for it. */
  stage(event: object, payment: PaymentRow): void {
    this.#staged.set(event, payment);
  }

  /** The consumer's transaction committed: its leased payments go to the runner. */
  committed(events: readonly object[]): void {
    const payments: PaymentRow[] = [];
    for (const event of events) {
      const payment = this.#staged.get(event);
      if (payment === undefined) continue;
      this.#staged.delete(event);
      payments.push(payment);
    }
    if (payments.length > 0) this.#taker?.adopt(payments);
  }
}
