import {
  AckPolicy,
  type ConsumerConfig,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from '@nats-io/jetstream';
import { nanos } from '@nats-io/transport-node';
import { streamName } from './subjects.ts';

/**
 * Streams and durable consumers, created or updated idempotently: every instance of every
 * service runs this at start, concurrently, and they must all converge on the same config.
 */
export interface StreamSettings {
  /** Window in which a re-published `Nats-Msg-Id` is dropped (the outbox may re-publish). */
  duplicateWindowMs: number;
  /** How long events are kept for late consumers and replays. */
  maxAgeMs: number;
  replicas: number;
}

export interface ConsumerSettings {
  group: string;
  filters: string[];
  ackWaitMs: number;
  /** Deliveries the server makes; one more than the handler attempts (see jetstream-bus.ts). */
  maxDeliver: number;
  /**
   * Redelivery delays after an ack timeout, the first one being the ack wait. Empty by
   * default: on NATS 2.9 a consumer with a backoff list ignores `nak(delay)` after the first
   * redelivery (measured), and handler failures rely on nak delays.
   */
  backoffMs: number[];
  maxAckPending: number;
  /** Servers before 2.10 take one filter subject only. */
  multipleFilters: boolean;
}

const isApiError = (error: unknown, code: number) =>
  error instanceof JetStreamApiError && error.code === code;

export async function ensureStream(
  jsm: JetStreamManager,
  context: string,
  settings: StreamSettings,
): Promise<string> {
  const name = streamName(context);
  const wanted: Partial<StreamConfig> = {
    subjects: [`${context}.>`],
    duplicate_window: nanos(settings.duplicateWindowMs),
    max_age: nanos(settings.maxAgeMs),
    num_replicas: settings.replicas,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const { config } = await jsm.streams.info(name);
      const same =
        config.duplicate_window === wanted.duplicate_window &&
        config.max_age === wanted.max_age &&
        config.num_replicas === wanted.num_replicas &&
        JSON.stringify(config.subjects) === JSON.stringify(wanted.subjects);
      if (!same) await jsm.streams.update(name, { ...config, ...wanted });
      return name;
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    }
    try {
      await jsm.streams.add({
        ...wanted,
        name,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
      });
      return name;
    } catch (error) {
      // Another instance created it between our info and add: read it again, once.
      if (attempt > 0) throw error;
    }
  }
}

export async function ensureConsumer(
  jsm: JetStreamManager,
  stream: string,
  settings: ConsumerSettings,
): Promise<void> {
  const filter =
    settings.filters.length === 1 || !settings.multipleFilters
      ? { filter_subject: settings.filters.length === 1 ? settings.filters[0] : undefined }
      : { filter_subjects: settings.filters };
  const mutable = {
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
    ...(settings.backoffMs.length > 0
      ? { backoff: settings.backoffMs.map((ms) => nanos(ms)) }
      : {}),
    max_ack_pending: settings.maxAckPending,
  };
  for (let attempt = 0; ; attempt++) {
    try {
      const { config } = await jsm.consumers.info(stream, settings.group);
      const changed =
        config.ack_wait !== mutable.ack_wait ||
        config.max_deliver !== mutable.max_deliver ||
        config.max_ack_pending !== mutable.max_ack_pending ||
        JSON.stringify(config.backoff ?? []) !== JSON.stringify(mutable.backoff ?? []) ||
        (config.filter_subject || undefined) !== filter.filter_subject ||
        JSON.stringify(config.filter_subjects ?? undefined) !==
          JSON.stringify(filter.filter_subjects);
      if (changed) await jsm.consumers.update(stream, settings.group, { ...mutable, ...filter });
      return;
    } catch (error) {
      if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    }
    const config: Partial<ConsumerConfig> = {
      durable_name: settings.group,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ...mutable,
      ...filter,
    };
    try {
      await jsm.consumers.add(stream, config);
      return;
    } catch (error) {
      if (attempt > 0) throw error;
    }
  }
}

/** `filter_subjects` (several filters on one consumer) needs NATS 2.10. */
export function supportsMultipleFilters(version: string | undefined): boolean {
  const [major = 0, minor = 0] = (version ?? '').split('.').map((n) => Number.parseInt(n, 10));
  return major > 2 || (major === 2 && minor >= 10);
}
