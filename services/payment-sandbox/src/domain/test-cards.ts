/**
 * The test payment methods, as card processors document theirs. Each one decides how a
 * charge made with it behaves; any other payment method does not exist (400 resource_missing).
 */
export type CardBehaviour =
  | { kind: 'approve' }
  | { kind: 'decline'; code: 'card_declined' | 'insufficient_funds' }
  | { kind: 'slow' }
  | { kind: 'flaky' };

export const TEST_CARDS: Readonly<Record<string, CardBehaviour>> = {
  pm_card_ok: { kind: 'approve' },
  pm_card_declined: { kind: 'decline', code: 'card_declined' },
  pm_card_insufficient_funds: { kind: 'decline', code: 'insufficient_funds' },
  pm_card_slow: { kind: 'slow' },
  pm_card_flaky: { kind: 'flaky' },
};

export const DEFAULT_PAYMENT_METHOD = 'pm_card_ok';

export function behaviourOf(paymentMethod: string): CardBehaviour | undefined {
  return Object.hasOwn(TEST_CARDS, paymentMethod) ? TEST_CARDS[paymentMethod] : undefined;
}
