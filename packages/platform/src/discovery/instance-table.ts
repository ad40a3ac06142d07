import type { InstanceRecord } from '../discovery.ts';
import type { ChangeListeners } from './change-listeners.ts';
import { sameRouting } from './instance-record.ts';

interface Entry {
  record: InstanceRecord;
  /** Local clock: when the instance last vouched for itself (see NatsKvDiscovery#apply). */
  seenAt: number;
}

/**
 * The registry as a watcher sees it. An instance counts while it has vouched for itself within
 * `ttlMs`: a crashed process never deletes its key, and the bucket's max_age removes the key
 * without telling watchers, so freshness is judged here rather than trusted to the bucket.
 *
 * While the watcher is cut off from NATS nothing can vouch for anyone, so nothing ages: the
 * last known table keeps serving (the instances are probably still up; an empty table would
 * certainly fail every request). After a reconnect each instance gets a full TTL to be heard
 * from again before it is dropped.
 */
export class InstanceTable {
  readonly #byService = new Map<string, Map<string, Entry>>();
  readonly #ttlMs: number;
  readonly #listeners: ChangeListeners;
  #connected = true;
  #connectedAt = 0;

  constructor(ttlMs: number, listeners: ChangeListeners) {
    this.#ttlMs = ttlMs;
    this.#listeners = listeners;
  }

  put(key: string, record: InstanceRecord, seenAt: number): void {
    let entries = this.#byService.get(record.service);
    if (!entries) {
      entries = new Map();
      this.#byService.set(record.service, entries);
    }
    const previous = entries.get(key);
    entries.set(key, { record, seenAt });
    // A heartbeat from an instance that was already counted changes nothing a router cares about.
    if (!previous || !sameRouting(previous.record, record) || !this.#fresh(previous, seenAt))
      this.#emit(record.service);
  }

  remove(key: string): void {
    for (const [service, entries] of this.#byService) {
      if (entries.delete(key)) {
        if (entries.size === 0) this.#byService.delete(service);
        this.#emit(service);
        return;
      }
    }
  }

  disconnected(): void {
    this.#connected = false;
  }

  reconnected(now = Date.now()): void {
    this.#connected = true;
    this.#connectedAt = now;
  }

  get connected(): boolean {
    return this.#connected;
  }

  /** Forgets the instances that stopped vouching for themselves and tells the listeners. */
  sweep(now = Date.now()): void {
    for (const [service, entries] of this.#byService) {
      let changed = false;
      for (const [key, entry] of entries) {
        if (!this.#fresh(entry, now)) {
          entries.delete(key);
          changed = true;
        }
      }
      if (entries.size === 0) this.#byService.delete(service);
      if (changed) this.#emit(service);
    }
  }

  ready(service: string, now = Date.now()): string[] {
    const entries = this.#byService.get(service);
    if (!entries) return [];
    const urls: string[] = [];
    for (const entry of entries.values())
      if (entry.record.health === 'ready' && this.#fresh(entry, now)) urls.push(entry.record.url);
    return urls;
  }

  services(now = Date.now()): string[] {
    return [...this.#byService]
      .filter(([, entries]) => [...entries.values()].some((e) => this.#fresh(e, now)))
      .map(([service]) => service);
  }

  all(now = Date.now()): InstanceRecord[] {
    return [...this.#byService.values()].flatMap((entries) =>
      [...entries.values()].filter((e) => this.#fresh(e, now)).map((e) => ({ ...e.record })),
    );
  }

  #of(service: string, now = Date.now()): InstanceRecord[] {
    return [...(this.#byService.get(service)?.values() ?? [])]
      .filter((e) => this.#fresh(e, now))
      .map((e) => ({ ...e.record }));
  }

  #fresh(entry: Entry, now: number): boolean {
    return !this.#connected || now - Math.max(entry.seenAt, this.#connectedAt) <= this.#ttlMs;
  }

  #emit(service: string): void {
    this.#listeners.emit({ service, instances: this.#of(service) });
  }
}
