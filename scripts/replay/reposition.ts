import {
  type ConsumerConfig,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
} from '@nats-io/jetstream';

export type RepositionMethod = 'reset' | 'recreate';

/**
 * Where the group's durable consumer restarts: the range's first event, or earlier if the group
 * had not yet acknowledged everything before it. Starting past an unacknowledged event would
 * skip it for good; starting earlier only redelivers events the inbox already holds.
 */
export function startSequence(rangeFirstSeq: number, current: ConsumerInfo): number {
  return Math.max(1, Math.min(rangeFirstSeq, current.ack_floor.stream_seq + 1));
}

/**
 * NATS 2.14 can move a durable consumer in place (`$JS.API.CONSUMER.RESET`, ADR-60), for the
 * deliver policies it allows; older servers need a delete and re-create.
 */
export function repositionMethod(
  serverVersion: string | undefined,
  config: Partial<ConsumerConfig>,
): RepositionMethod {
  const [major = 0, minor = 0] = (serverVersion ?? '')
    .split('.')
    .map((n) => Number.parseInt(n, 10));
  const resettable =
    config.deliver_policy === DeliverPolicy.All ||
    config.deliver_policy === DeliverPolicy.StartSequence ||
    config.deliver_policy === DeliverPolicy.StartTime;
  return resettable && (major > 2 || (major === 2 && minor >= 14)) ? 'reset' : 'recreate';
}

/** Raised when the group was deleted and could not be re-created: carries its config to restore. */
export class RecreateError extends Error {
  readonly config: Partial<ConsumerConfig>;
  constructor(message: string, config: Partial<ConsumerConfig>, cause: unknown) {
    super(message, { cause });
    this.config = config;
  }
}

/**
 * Moves the group's durable consumer back to `startSeq`. Running instances keep pulling from
 * it by name: after a reset at once, after a re-create once their pull notices the consumer
 * came back (missed idle heartbeats: up to ~45 s with the kit's
 * default pull expiry of 30 s, measured on NATS 2.9).
 */
export async function repositionGroup(
  jsm: JetStreamManager,
  stream: string,
  current: ConsumerInfo,
  startSeq: number,
  method: RepositionMethod,
): Promise<ConsumerInfo> {
  if (method === 'reset') return jsm.consumers.reset(stream, current.name, startSeq);
  // Everything the kit configured (filters, ack policy and wait, max deliver, backoff, max ack
  // pending) is kept; only where delivery starts changes.
  const config: Partial<ConsumerConfig> = {
    ...current.config,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startSeq,
  };
  delete config.opt_start_time;
  await jsm.consumers.delete(stream, current.name);
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await jsm.consumers.add(stream, config);
    } catch (error) {
      lastError = error;
      // An instance of the group starting right now re-creates it from the stream's start
      // (the kit's default): take its place again.
      const meanwhile = await jsm.consumers.info(stream, current.name).catch(() => undefined);
      if (!meanwhile) break;
      await jsm.consumers.delete(stream, current.name).catch(() => {});
    }
  }
  throw new RecreateError(
    `the durable consumer ${current.name} was deleted and could not be re-created: ${(lastError as Error)?.message}`,
    config,
    lastError,
  );
}
