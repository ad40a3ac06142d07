import { createHttpClient, type HttpClientLogger, isAppError } from '@lattice/platform';
import type {
  ChargeOutcome,
  ChargeRequest,
  LookupOutcome,
  PaymentProvider,
  RefundOutcome,
  RefundRequest,
} from '../domain/payment-provider.ts';

/**
 * The anti-corruption layer between us and the card processor (the payment sandbox, which
 * speaks like the big processors do). Its charge and refund objects, HTTP statuses and error
 * codes stay in this file: everything past it sees `ChargeOutcome` and `RefundOutcome`.
 *
 * Calls go through the kit's resilient client: a timeout per attempt, retries with backoff on
 * transient failures (safe for POSTs, since each carries an Idempotency-Key the processor
 * applies once) and a circuit breaker that fails fast while the processor is down.
 */
export interface SandboxAdapterOptions {
  /** Resolved per attempt (discovery may move the processor). */
  baseUrl: () => string;
  apiKey: string;
  timeoutMs: number;
  retries: number;
  backoff: { initialMs: number; maxMs: number };
  breaker: { consecutiveFailures: number; halfOpenAfterMs: number };
  logger: HttpClientLogger & { error(obj: Record<string, unknown>, msg: string): void };
}

/** The processor's failure codes of a declined card, in our reasons. Unknown codes decline. */
const DECLINE_REASONS: Record<string, 'payment_declined' | 'insufficient_funds'> = {
  card_declined: 'payment_declined',
  insufficient_funds: 'insufficient_funds',
  expired_card: 'payment_declined',
  incorrect_cvc: 'payment_declined',
};

interface ProcessorError {
  error?: { type?: string; code?: string; param?: string; message?: string };
}
interface ProcessorCharge extends ProcessorError {
  id?: string;
  status?: string;
  failure_code?: string | null;
}
interface ProcessorRefund extends ProcessorError {
  id?: string;
  status?: string;
}

export function sandboxProvider(options: SandboxAdapterOptions): PaymentProvider {
  const client = createHttpClient({
    name: 'payment-provider',
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs,
    retries: options.retries,
    backoff: options.backoff,
    breaker: options.breaker,
    logger: options.logger,
  });
  const headers = (idempotencyKey?: string) => ({
    authorization: `Bearer ${options.apiKey}`,
    ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
  });

  /** A 4xx that is neither a decline nor a missing charge: our request or credentials are wrong. */
  const refused = (operation: string, status: number, body: ProcessorError) => {
    options.logger.error(
      { operation, status, code: body?.error?.code, message: body?.error?.message },
      'payment provider refused the request; check PAYMENTS_PROVIDER_* settings',
    );
    return {
      kind: 'unavailable' as const,
      detail: `provider refused the ${operation} (${status})`,
    };
  };

  return {
    async charge(request: ChargeRequest): Promise<ChargeOutcome> {
      let status: number;
      let body: ProcessorCharge;
      try {
        ({ status, body } = await client.post<ProcessorCharge>(
          '/v1/charges',
          {
            amount: request.amountCents,
            currency: request.currency.toLowerCase(),
            payment_method: request.paymentMethod,
            description: request.description,
          },
          { headers: headers(request.idempotencyKey) },
        ));
      } catch (error) {
        return { kind: 'unavailable', detail: describe(error) };
      }
      if (status === 200 && body?.status === 'succeeded' && typeof body.id === 'string') {
        return { kind: 'charged', reference: body.id };
      }
      if (status === 402 || (status === 200 && body?.status === 'failed')) {
        const code = body?.error?.code ?? body?.failure_code ?? '';
        return { kind: 'declined', reason: DECLINE_REASONS[code] ?? 'payment_declined' };
      }
      // A payment method the processor does not know is the customer's choice failing.
      if (status === 400 && body?.error?.param === 'payment_method') {
        return { kind: 'declined', reason: 'payment_declined' };
      }
      if (status >= 500 || status === 409 || status === 429) {
        return { kind: 'unavailable', detail: `provider answered ${status}` };
      }
      return refused('charge', status, body);
    },

    async findCharge(idempotencyKey: string): Promise<LookupOutcome> {
      let status: number;
      let body: { data?: ProcessorCharge[] } & ProcessorError;
      try {
        ({ status, body } = await client.get<typeof body>('/v1/charges', {
          query: { idempotency_key: idempotencyKey, limit: 1 },
          headers: headers(),
        }));
      } catch (error) {
        return { kind: 'unavailable', detail: describe(error) };
      }
      if (status === 200 && Array.isArray(body?.data)) {
        const [charge] = body.data;
        return charge?.status === 'succeeded' && typeof charge.id === 'string'
          ? { kind: 'charged', reference: charge.id }
          : { kind: 'none' };
      }
      if (status >= 500 || status === 429) {
        return { kind: 'unavailable', detail: `provider answered ${status}` };
      }
      return refused('charge lookup', status, body);
    },

    async refund(request: RefundRequest): Promise<RefundOutcome> {
      let status: number;
      let body: ProcessorRefund;
      try {
        ({ status, body } = await client.post<ProcessorRefund>(
          '/v1/refunds',
          { charge: request.chargeReference, reason: 'requested_by_customer' },
          { headers: headers(request.idempotencyKey) },
        ));
      } catch (error) {
        return { kind: 'unavailable', detail: describe(error) };
      }
      if (status === 200 && typeof body?.id === 'string') {
        return { kind: 'refunded', reference: body.id };
      }
      const code = body?.error?.code;
      // Already given back (by an operator at the provider, say): the money is back either way.
      if (code === 'charge_already_refunded') return { kind: 'refunded', reference: null };
      if (code === 'charge_not_refundable' || (status === 404 && code === 'resource_missing')) {
        return { kind: 'not_refundable', detail: `provider: ${code}` };
      }
      if (status >= 500 || status === 409 || status === 429) {
        return { kind: 'unavailable', detail: `provider answered ${status}` };
      }
      return refused('refund', status, body);
    },

    async probe(): Promise<boolean> {
      try {
        const { status } = await client.get('/v1/charges', {
          query: { limit: 1 },
          headers: headers(),
        });
        return status < 500;
      } catch {
        return false;
      }
    },

    circuitState: () => client.circuitState(),
    close: () => client.close(),
  };
}

/** Our words for why the provider could not be reached; never the provider's body. */
function describe(error: unknown): string {
  if (isAppError(error)) return error.detail ?? error.title;
  return error instanceof Error ? error.message : String(error);
}
