import { lookup } from 'node:dns/promises';
import type { Discovery, DiscoveryListener, InstanceRecord } from '../discovery.ts';
import { ChangeListeners } from './change-listeners.ts';
import { type DnsTarget, type DnsTargetOptions, dnsTarget } from './dns-targets.ts';
import { baseUrl } from './instance-record.ts';
import type { DiscoveryLogger } from './logger.ts';

export const DEFAULT_DNS_INTERVAL_MS = 10_000;

export interface DnsDiscoveryOptions extends DnsTargetOptions {
  /** Services resolved from the start; any other name is added the first time it is asked for. */
  services?: string[];
  /** How often every name is resolved again. */
  intervalMs?: number;
  scheme?: string;
  /** Every address of a host name; default: the system resolver (`lookup`, all families). */
  resolve?: (host: string) => Promise<string[]>;
  logger?: DiscoveryLogger;
}

interface Answer {
  target: DnsTarget;
  /** Instances of the last good answer; kept while resolutions fail. */
  records: InstanceRecord[];
  resolving: Promise<void> | undefined;
  failing: boolean;
}

/**
 * Uses the system resolver, as every other program in the pod does: it reads /etc/hosts and
 * expands a short name through resolv.conf's search domains (`users` → `users.<ns>.svc...`).
 */
export async function systemResolve(host: string): Promise<string[]> {
  const addresses = await lookup(host, { all: true, order: 'verbatim' });
  return addresses.map((a) => a.address);
}

// A name asked for lazily must look like a service before it is sent to the resolver.
const SERVICE_NAME = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Kubernetes-style discovery (`dns` mode): one name per service that resolves to every ready
 * pod (a headless Service), re-resolved every `intervalMs`. Kubernetes publishes only ready
 * endpoints, so every address is `ready`; a draining pod leaves the answer when its readiness
 * fails, which is why SHUTDOWN_DRAIN_DELAY_MS should exceed the interval.
 *
 * A failed resolution keeps the last good answer: a DNS hiccup must not empty the table.
 */
export class DnsDiscovery implements Discovery {
  readonly #answers = new Map<string, Answer>();
  readonly #configured: ReadonlySet<string>;
  readonly #options: DnsDiscoveryOptions;
  readonly #resolve: (host: string) => Promise<string[]>;
  readonly #listeners: ChangeListeners;
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor(options: DnsDiscoveryOptions = {}) {
    this.#options = options;
    this.#resolve = options.resolve ?? systemResolve;
    this.#listeners = new ChangeListeners(options.logger);
    this.#configured = new Set(options.services ?? []);
    for (const service of this.#configured) this.#track(service);
    this.#timer = setInterval(
      () => void this.refresh(),
      options.intervalMs ?? DEFAULT_DNS_INTERVAL_MS,
    );
    this.#timer.unref();
  }

  /** Starts and waits for the first resolution of every configured name (failures included). */
  static async start(options: DnsDiscoveryOptions = {}): Promise<DnsDiscovery> {
    const discovery = new DnsDiscovery(options);
    await discovery.refresh();
    return discovery;
  }

  /** Resolves every known name now. */
  async refresh(): Promise<void> {
    await Promise.all([...this.#answers.keys()].map((service) => this.#refreshOne(service)));
  }

  instances(service: string): string[] {
    const answer = this.#answers.get(service);
    if (!answer) {
      // Sync port: this call answers empty, the next ones get the resolution started here.
      if (SERVICE_NAME.test(service) && !this.#closed) {
        this.#track(service);
        void this.#refreshOne(service);
      }
      return [];
    }
    return answer.records.map((r) => r.url);
  }

  /** The configured names, and names asked for that resolved. */
  services(): string[] {
    return [...this.#answers]
      .filter(([service, answer]) => this.#configured.has(service) || answer.records.length > 0)
      .map(([service]) => service);
  }

  all(): InstanceRecord[] {
    return [...this.#answers.values()].flatMap((a) => a.records.map((r) => ({ ...r })));
  }

  watch(listener: DiscoveryListener): () => void {
    return this.#listeners.add(listener);
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#listeners.clear();
    await Promise.all([...this.#answers.values()].map((a) => a.resolving));
  }

  #track(service: string): void {
    this.#answers.set(service, {
      target: dnsTarget(service, this.#options),
      records: [],
      resolving: undefined,
      failing: false,
    });
  }

  #refreshOne(service: string): Promise<void> {
    const answer = this.#answers.get(service);
    if (!answer || this.#closed) return Promise.resolve();
    // A slow resolver must not pile up lookups: the one in flight will do.
    answer.resolving ??= this.#resolveInto(service, answer).finally(() => {
      answer.resolving = undefined;
    });
    return answer.resolving;
  }

  async #resolveInto(service: string, answer: Answer): Promise<void> {
    const { host, port } = answer.target;
    let addresses: string[];
    try {
      addresses = [...new Set(await this.#resolve(host))].sort();
      if (addresses.length === 0) throw new Error(`${host} has no addresses`);
    } catch (error) {
      if (!answer.failing)
        this.#options.logger?.warn(
          { err: error, service, host, kept: answer.records.length },
          'DNS resolution failed; keeping the last good answer',
        );
      answer.failing = true;
      return;
    }
    if (answer.failing) this.#options.logger?.info({ service, host }, 'DNS resolution recovered');
    answer.failing = false;
    const now = new Date().toISOString();
    const before = answer.records;
    const startedAt = new Map(before.map((r) => [r.address, r.startedAt]));
    answer.records = addresses.map((address) => ({
      service,
      id: `${address}:${port}`,
      address,
      port,
      url: baseUrl(address, port, this.#options.scheme),
      version: '',
      zone: '',
      health: 'ready' as const,
      // First seen in an answer: the best a DNS record can say about when the pod started.
      startedAt: startedAt.get(address) ?? now,
      heartbeatAt: now,
    }));
    const changed =
      before.length !== addresses.length || before.some((r, i) => r.address !== addresses[i]);
    if (changed && !this.#closed)
      this.#listeners.emit({ service, instances: answer.records.map((r) => ({ ...r })) });
  }
}
