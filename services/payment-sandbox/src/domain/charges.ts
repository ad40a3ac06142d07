import { setTimeout as delay } from 'node:timers/promises';
import { type ChargeRow, ledger } from '../data/ledger.ts';
import { SandboxErrors } from '../errors.ts';
import { newId, parametersHash, type SandboxDeps } from './deps.ts';
import { behaviourOf, DEFAULT_PAYMENT_METHOD } from './test-cards.ts';
import { type ChargeView, chargeView } from './views.ts';

export interface ChargeRequest {
  amount: number;
  currency: string;
  payment_method?: string;
  description?: string;
}

export interface ChargeAnswer {
  charge: ChargeView;
  /** True when the Idempotency-Key already had this charge: nothing new was charged. */
  replayed: boolean;
}

/**
 * Charges a test card. With an Idempotency-Key, the first outcome (success or decline) is the
 * answer to every later call with the same key and parameters, and no second charge is ever
 * made; transient failures (503) are not outcomes, so a retry with the key may succeed.
 * A decline throws the 402 with the failed charge attached.
 */
export async function createCharge(
  deps: SandboxDeps,
  request: ChargeRequest,
  key: string | undefined,
): Promise<ChargeAnswer> {
  deps.outage.beforeProcessing();
  try {
    return await charge(deps, request, key);
  } finally {
    // A decline's answer is lost as well: the 503 replaces whatever was going to be sent.
    deps.outage.afterProcessing();
  }
}

async function charge(
  deps: SandboxDeps,
  request: ChargeRequest,
  key: string | undefined,
): Promise<ChargeAnswer> {
  const paymentMethod = request.payment_method ?? DEFAULT_PAYMENT_METHOD;
  const currency = request.currency.toLowerCase();
  const hash = parametersHash({
    amount: request.amount,
    currency,
    payment_method: paymentMethod,
    description: request.description,
  });
  const books = ledger(deps.database.db);
  const behaviour = behaviourOf(paymentMethod);

  // A card that answers at once needs no look first: the insert is the look (a key already
  // used conflicts, and its charge is the answer). One round trip for most charges.
  const immediate = behaviour?.kind === 'approve' || behaviour?.kind === 'decline';
  if (key !== undefined && !immediate) {
    const earlier = await books.chargeByKey(key);
    if (earlier) return replay(earlier, hash);
  }

  if (!behaviour) throw SandboxErrors.unknownPaymentMethod(paymentMethod);
  if (behaviour.kind === 'flaky') {
    // Keyless calls share one count: without a key there is no "same request" to retry.
    const failures = await books.countTransientFailure(key ?? '');
    if (failures <= deps.flakyFailures) throw SandboxErrors.processingError();
  }
  // The charge is written after the wait: a caller that gave up meanwhile still gets charged,
  // as with a real processor, and finds that charge when it retries with the same key.
  if (behaviour.kind === 'slow') await delay(deps.slowMs);

  const declined = behaviour.kind === 'decline' ? behaviour.code : null;
  const inserted = await books.insertCharge({
    id: newId('ch'),
    idempotency_key: key ?? null,
    request_hash: hash,
    amount: request.amount,
    currency,
    payment_method: paymentMethod,
    description: request.description ?? null,
    status: declined ? 'failed' : 'succeeded',
    failure_code: declined,
  });
  // Another request with the same key won the race: its charge is the answer.
  if (!inserted) return replay((await books.chargeByKey(key as string)) as ChargeRow, hash);
  return outcome(inserted, false);
}

function replay(earlier: ChargeRow, hash: string): ChargeAnswer {
  if (earlier.request_hash !== hash) throw SandboxErrors.idempotencyKeyReused();
  return outcome(earlier, true);
}

function outcome(row: ChargeRow, replayed: boolean): ChargeAnswer {
  const charge = chargeView(row);
  if (row.status === 'failed') {
    throw SandboxErrors.declined(
      row.failure_code as 'card_declined' | 'insufficient_funds',
      charge,
    );
  }
  return { charge, replayed };
}

export async function getCharge(deps: SandboxDeps, id: string): Promise<ChargeView> {
  deps.outage.check();
  const row = await ledger(deps.database.db).charge(id);
  if (!row) throw SandboxErrors.chargeNotFound(id);
  return chargeView(row);
}

export interface ChargeListQuery {
  limit: number;
  starting_after?: string;
  idempotency_key?: string;
  payment_method?: string;
  status?: 'succeeded' | 'failed';
  refunded?: boolean;
}

export async function listCharges(deps: SandboxDeps, query: ChargeListQuery) {
  deps.outage.check();
  const rows = await ledger(deps.database.db).listCharges(
    {
      idempotencyKey: query.idempotency_key,
      paymentMethod: query.payment_method,
      status: query.status,
      refunded: query.refunded,
      startingAfter: query.starting_after,
    },
    query.limit + 1,
  );
  return {
    object: 'list' as const,
    data: rows.slice(0, query.limit).map(chargeView),
    has_more: rows.length > query.limit,
  };
}
