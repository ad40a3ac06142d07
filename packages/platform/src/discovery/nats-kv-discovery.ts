import { setTimeout as delay } from 'node:timers/promises';
import { jetstream } from '@nats-io/jetstream';
import { type KV, Kvm, type KvWatchEntry } from '@nats-io/kv';
import {
  connect,
  type NatsConnection,
  type QueuedIterator,
  type Status,
} from '@nats-io/transport-node';
import type { Discovery, DiscoveryListener, InstanceRecord } from '../discovery.ts';
import { ChangeListeners } from './change-listeners.ts';
import {
  advertisedAddress,
  baseUrl,
  instanceKey,
  newInstanceId,
  parseRecord,
} from './instance-record.ts';
import { InstanceTable } from './instance-table.ts';
import { KvRegistration } from './kv-registration.ts';
import type { DiscoveryLogger } from './logger.ts';
import type { InstanceInfo, Registration } from './registration.ts';

export const DEFAULT_BUCKET = 'lattice_services';
export const DEFAULT_TTL_MS = 15_000;
export const DEFAULT_HEARTBEAT_MS = 5_000;

export interface NatsKvDiscoveryOptions {
  /** NATS server URL(s); a comma-separated string is split. Ignored with `connection`. */
  servers?: string | string[];
  /**
   * A connection the caller owns (e.g. the bus's); not closed by `close()`. It should reconnect
   * forever (`maxReconnectAttempts: -1`), as the one opened here does.
   */
  connection?: NatsConnection;
  /** Connection name shown by the server, e.g. the service name. */
  name?: string;
  bucket?: string;
  /** An instance not heard from for this long is dropped; also the bucket's max_age. */
  ttlMs?: number;
  /** How often a registered instance re-puts its entry; well under `ttlMs`. */
  heartbeatMs?: number;
  replicas?: number;
  reconnectTimeWaitMs?: number;
  /** Longest wait for the bucket's current entries before `connect` resolves anyway. */
  initialLoadTimeoutMs?: number;
  logger?: DiscoveryLogger;
}

const MAX_WATCH_BACKOFF_MS = 5_000;

/**
 * Discovery through a NATS KV bucket (`nats-kv` mode). Instances register under
 * `<service>.<id>` and heartbeat; every process keeps an in-memory table fed by a KV watch
 * (current values, then puts, deletes and purges), so the sync port answers from memory.
 *
 * NATS outages: the connection reconnects forever; meanwhile the table keeps its last known
 * contents (nothing ages while nobody can heartbeat), registrations retry every heartbeat, and
 * on reconnect the watch restarts from the bucket's current values and every registration
 * re-puts at once. Deletes missed during the outage are caught by the TTL.
 */
export class NatsKvDiscovery implements Discovery {
  readonly #nc: NatsConnection;
  readonly #ownsConnection: boolean;
  readonly #kv: KV;
  readonly #ttlMs: number;
  readonly #heartbeatMs: number;
  readonly #logger: DiscoveryLogger | undefined;
  readonly #listeners: ChangeListeners;
  readonly #table: InstanceTable;
  readonly #registrations = new Set<KvRegistration>();
  readonly #sweeper: NodeJS.Timeout;
  readonly #stopped = new AbortController();
  #watcher: QueuedIterator<KvWatchEntry> | undefined;
  #statusIterator: AsyncIterable<Status> & { stop(): void };
  #retryNow = new AbortController();
  #loaded: () => void = () => {};
  readonly #loadedPromise: Promise<void>;
  readonly #warnedKeys = new Set<string>();
  #loops: Promise<unknown> = Promise.resolve();

  private constructor(
    nc: NatsConnection,
    ownsConnection: boolean,
    kv: KV,
    options: NatsKvDiscoveryOptions,
  ) {
    this.#nc = nc;
    this.#ownsConnection = ownsConnection;
    this.#kv = kv;
    this.#ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    this.#heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.#logger = options.logger;
    this.#listeners = new ChangeListeners(options.logger);
    this.#table = new InstanceTable(this.#ttlMs, this.#listeners);
    this.#loadedPromise = new Promise((resolve) => {
      this.#loaded = resolve;
    });
    // A dead instance should leave within a TTL plus a fraction, not a TTL plus a whole period.
    const sweepMs = Math.max(50, Math.min(1_000, Math.floor(this.#ttlMs / 5)));
    this.#sweeper = setInterval(() => this.#table.sweep(), sweepMs);
    this.#sweeper.unref();
    this.#statusIterator = nc.status() as AsyncIterable<Status> & { stop(): void };
  }

  /** Connects (unless given a connection), opens or creates the bucket, loads its entries. */
  static async connect(options: NatsKvDiscoveryOptions = {}): Promise<NatsKvDiscovery> {
    const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
    const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (!(ttlMs > 0 && heartbeatMs > 0 && heartbeatMs < ttlMs))
      throw new RangeError(
        `discovery: heartbeat (${heartbeatMs} ms) must be positive and shorter than the TTL (${ttlMs} ms)`,
      );
    const servers = options.servers ?? 'nats://127.0.0.1:4222';
    const nc =
      options.connection ??
      (await connect({
        servers: typeof servers === 'string' ? servers.split(',').map((s) => s.trim()) : servers,
        ...(options.name ? { name: `${options.name}-discovery` } : {}),
        // Discovery outlives broker restarts: a process that gave up would route on a frozen table forever.
        maxReconnectAttempts: -1,
        reconnectTimeWait: options.reconnectTimeWaitMs ?? 1_000,
      }));
    try {
      const bucket = options.bucket ?? DEFAULT_BUCKET;
      // A heartbeat that cannot be acknowledged within its own period is better retried than awaited.
      const js = jetstream(nc, { timeout: Math.max(1_000, Math.min(5_000, heartbeatMs)) });
      // Idempotent: opens the bucket when it exists (every instance of every service calls this).
      const kv = await new Kvm(js).create(bucket, {
        ttl: ttlMs,
        history: 1,
        replicas: options.replicas ?? 1,
        description: 'Lattice service instances (discovery); entries expire unless heartbeated',
      });
      const status = await kv.status();
      if (status.ttl !== ttlMs)
        options.logger?.warn(
          { bucket, bucketTtlMs: status.ttl, ttlMs },
          'discovery bucket exists with another max_age; keys expire on its schedule, watchers use ttlMs',
        );
      const discovery = new NatsKvDiscovery(nc, !options.connection, kv, options);
      // An empty bucket sends nothing on watch, so only a non-empty one is waited for.
      if (status.values === 0) discovery.#loaded();
      discovery.#start();
      const timeoutMs = options.initialLoadTimeoutMs ?? 2_000;
      await Promise.race([discovery.#loadedPromise, delay(timeoutMs, undefined, { ref: false })]);
      return discovery;
    } catch (error) {
      if (!options.connection) await nc.close().catch(() => {});
      throw error;
    }
  }

  get connection(): NatsConnection {
    return this.#nc;
  }

  /** Whether the connection to NATS is up; while down the table is the last one known. */
  get connected(): boolean {
    return this.#table.connected;
  }

  instances(service: string): string[] {
    return this.#table.ready(service);
  }

  services(): string[] {
    return this.#table.services();
  }

  all(): InstanceRecord[] {
    return this.#table.all();
  }

  watch(listener: DiscoveryListener): () => void {
    return this.#listeners.add(listener);
  }

  /** Announces an instance (normally this process) and heartbeats it until `deregister`. */
  async register(info: InstanceInfo): Promise<Registration> {
    if (this.#stopped.signal.aborted) throw new Error('discovery: closed');
    const address = info.address || advertisedAddress('');
    const id = info.id || newInstanceId();
    instanceKey(info.service, id);
    const now = new Date().toISOString();
    const record: InstanceRecord = {
      service: info.service,
      id,
      address,
      port: info.port,
      url: (info.url || baseUrl(address, info.port)).replace(/\/+$/, ''),
      version: info.version ?? '',
      zone: info.zone ?? '',
      health: 'ready',
      startedAt: now,
      heartbeatAt: now,
    };
    const registration: KvRegistration = await KvRegistration.start(this.#kv, record, {
      heartbeatMs: this.#heartbeatMs,
      logger: this.#logger,
      onGone: () => this.#registrations.delete(registration),
    });
    this.#registrations.add(registration);
    return registration;
  }

  /**
   * Deregisters what is still registered through it, stops watching, and closes the connection
   * if it opened it. The table stays readable (frozen).
   */
  async close(): Promise<void> {
    if (this.#stopped.signal.aborted) return;
    await Promise.all([...this.#registrations].map((r) => r.deregister()));
    this.#stopped.abort();
    this.#retryNow.abort();
    clearInterval(this.#sweeper);
    this.#table.disconnected();
    this.#watcher?.stop();
    this.#statusIterator.stop();
    this.#listeners.clear();
    await this.#loops;
    if (this.#ownsConnection) await this.#nc.close();
  }

  #start(): void {
    this.#loops = Promise.all([this.#watchLoop(), this.#statusLoop()]);
  }

  async #statusLoop(): Promise<void> {
    for await (const status of this.#statusIterator) {
      if (status.type === 'disconnect') {
        this.#table.disconnected();
        this.#logger?.warn({}, 'discovery lost NATS; routing on the last known instances');
      } else if (status.type === 'reconnect') {
        this.#table.reconnected();
        this.#logger?.info({}, 'discovery reconnected to NATS; refreshing instances');
        // The ordered consumer behind the watch may not have survived a server restart, and
        // would only notice after missing heartbeats; a fresh watch is certain and immediate.
        this.#watcher?.stop();
        this.#retryNow.abort();
        for (const registration of this.#registrations) registration.beat();
      }
    }
  }

  async #watchLoop(): Promise<void> {
    let failures = 0;
    while (!this.#stopped.signal.aborted) {
      try {
        const watcher = await this.#kv.watch({ key: '>' });
        this.#watcher = watcher;
        failures = 0;
        if (this.#stopped.signal.aborted) watcher.stop();
        for await (const entry of watcher) this.#apply(entry);
      } catch (error) {
        failures++;
        if (!this.#stopped.signal.aborted && this.#table.connected)
          this.#logger?.warn({ err: error }, 'discovery watch failed; retrying');
      } finally {
        this.#watcher = undefined;
      }
      if (this.#stopped.signal.aborted) return;
      if (this.#retryNow.signal.aborted) {
        this.#retryNow = new AbortController();
        continue;
      }
      const backoff = Math.min(MAX_WATCH_BACKOFF_MS, 100 * 2 ** Math.min(failures, 10));
      await delay(backoff, undefined, { signal: this.#retryNow.signal }).catch(() => {});
      if (this.#retryNow.signal.aborted) this.#retryNow = new AbortController();
    }
  }

  #apply(entry: KvWatchEntry): void {
    const now = Date.now();
    // The last entry of the initial values is flagged as an update: the table is now complete.
    if (entry.isUpdate) this.#loaded();
    if (entry.operation === 'DEL' || entry.operation === 'PURGE') {
      this.#table.remove(entry.key);
      return;
    }
    let record: InstanceRecord | undefined;
    try {
      record = parseRecord(entry.json());
    } catch {
      record = undefined;
    }
    if (!record || entry.key !== `${record.service}.${record.id}`) {
      if (!this.#warnedKeys.has(entry.key)) {
        this.#warnedKeys.add(entry.key);
        this.#logger?.warn({ key: entry.key }, 'discovery ignores a malformed registry entry');
      }
      this.#table.remove(entry.key);
      return;
    }
    // A live put was just made, so our own clock dates it (no skew between hosts). Initial
    // values may be old: they are dated by the instance's own heartbeatAt, never in the future.
    const seenAt = entry.isUpdate ? now : Math.min(now, Date.parse(record.heartbeatAt));
    this.#table.put(entry.key, record, seenAt);
  }
}
