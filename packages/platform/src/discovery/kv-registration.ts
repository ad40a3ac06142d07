import type { KV } from '@nats-io/kv';
import type { InstanceRecord } from '../discovery.ts';
import { instanceKey } from './instance-record.ts';
import type { DiscoveryLogger } from './logger.ts';
import type { Registration } from './registration.ts';

/**
 * One instance's key in the bucket, re-put every heartbeat so the bucket's max_age (the TTL)
 * never removes it while the process lives, and so watchers keep counting it.
 *
 * Writes go one at a time, in order: a heartbeat still in flight when `deregister` runs would
 * otherwise land after the delete and resurrect the key for a whole TTL.
 */
export class KvRegistration implements Registration {
  readonly #kv: KV;
  readonly #key: string;
  readonly #logger: DiscoveryLogger | undefined;
  readonly #timer: NodeJS.Timeout;
  #record: InstanceRecord;
  #writes: Promise<void> = Promise.resolve();
  #pending = 0;
  #failing = false;
  #gone = false;
  #onGone: (() => void) | undefined;

  private constructor(
    kv: KV,
    record: InstanceRecord,
    heartbeatMs: number,
    logger?: DiscoveryLogger,
  ) {
    this.#kv = kv;
    this.#record = record;
    this.#key = instanceKey(record.service, record.id);
    this.#logger = logger;
    this.#timer = setInterval(() => this.beat(), heartbeatMs);
    // The HTTP server keeps a service alive; a heartbeat alone must not keep a finished one running.
    this.#timer.unref();
  }

  /** Resolves once the first put is acknowledged: the instance is then visible to watchers. */
  static async start(
    kv: KV,
    record: InstanceRecord,
    options: { heartbeatMs: number; logger?: DiscoveryLogger; onGone?: () => void },
  ): Promise<KvRegistration> {
    const registration = new KvRegistration(kv, record, options.heartbeatMs, options.logger);
    registration.#onGone = options.onGone;
    try {
      await registration.#write(() => registration.#put());
    } catch (error) {
      clearInterval(registration.#timer);
      throw error;
    }
    options.logger?.info({ key: registration.#key, url: record.url }, 'registered in discovery');
    return registration;
  }

  get record(): InstanceRecord {
    return { ...this.#record };
  }

  /** Re-puts the record now; a beat while the previous one is still in flight is skipped. */
  beat(): void {
    if (this.#gone || this.#pending > 0) return;
    this.#write(() => this.#put()).then(
      () => {
        if (this.#failing) this.#logger?.info({ key: this.#key }, 'discovery heartbeats resumed');
        this.#failing = false;
      },
      (error: unknown) => {
        // Once per outage: a heartbeat every few seconds would otherwise flood the log.
        if (!this.#failing)
          this.#logger?.warn(
            { err: error, key: this.#key },
            'discovery heartbeat failed; retrying every heartbeat',
          );
        this.#failing = true;
      },
    );
  }

  async markDraining(): Promise<void> {
    if (this.#gone || this.#record.health === 'draining') return;
    this.#record = { ...this.#record, health: 'draining' };
    try {
      await this.#write(() => this.#put());
    } catch (error) {
      // Shutdown goes on: routers also stop on the readiness probe and on connection refusals.
      this.#logger?.warn({ err: error, key: this.#key }, 'could not mark the instance draining');
    }
  }

  async deregister(): Promise<void> {
    if (this.#gone) return;
    this.#gone = true;
    clearInterval(this.#timer);
    this.#onGone?.();
    try {
      await this.#write(() => this.#kv.delete(this.#key));
      this.#logger?.info({ key: this.#key }, 'deregistered from discovery');
    } catch (error) {
      // Not fatal: heartbeats have stopped, so watchers drop the instance within the TTL.
      this.#logger?.warn({ err: error, key: this.#key }, 'could not deregister; it will expire');
    }
  }

  async #put(): Promise<void> {
    this.#record = { ...this.#record, heartbeatAt: new Date().toISOString() };
    await this.#kv.put(this.#key, JSON.stringify(this.#record));
  }

  #write(operation: () => Promise<unknown>): Promise<void> {
    this.#pending++;
    const run = this.#writes.then(operation).then(
      () => {
        this.#pending--;
      },
      (error: unknown) => {
        this.#pending--;
        throw error;
      },
    );
    // The chain itself never rejects, so one failed write does not fail every later one.
    this.#writes = run.catch(() => {});
    return run;
  }
}
