/**
 * The `Discovery` port: where a service's instances are. This file holds the port and the
 * static table (embedded default and Compose); the NATS KV registry and Kubernetes DNS live in
 * `discovery/`, chosen by `createDiscovery(config)`.
 *
 * `instances()` and `services()` are synchronous on purpose: they sit on every proxied request
 * and every resilient-client attempt, so implementations keep a table in memory and refresh it
 * in the background instead of asking the network per call.
 */
export interface Discovery {
  /** Base URLs of the named service's instances that take traffic (ready); empty when unknown. */
  instances(service: string): string[];
  /** Names of the services with at least one known instance (or configured, for static and DNS). */
  services(): string[];
  /** Every known instance, draining ones included: the operator's view (`GET /api/v1/gateway/services`). */
  all?(): InstanceRecord[];
  /**
   * Calls `listener` after a service's instances change (one added, removed, or changing health);
   * returns the function that stops the calls. Heartbeats that change nothing are not reported.
   */
  watch?(listener: DiscoveryListener): () => void;
  /** Stops background refresh and releases connections; the table stays readable. */
  close?(): Promise<void>;
}

/** `draining`: shutting down, finishing in-flight requests; it must get no new ones. */
export type InstanceHealth = 'ready' | 'draining';

/** One instance of a service, as registered in the NATS KV bucket (and synthesized elsewhere). */
export interface InstanceRecord {
  service: string;
  /** Unique among the service's instances; the registry key is `<service>.<id>`. */
  id: string;
  address: string;
  port: number;
  /** Base URL requests go to, e.g. `http://10.0.3.7:8081`. */
  url: string;
  version: string;
  /** Failure domain (e.g. availability zone) for zone-aware balancing; '' when unknown. */
  zone: string;
  health: InstanceHealth;
  /** ISO 8601. */
  startedAt: string;
  /** ISO 8601; the last time the instance (or, for DNS, a resolution) vouched for it. */
  heartbeatAt: string;
}

export interface DiscoveryChange {
  service: string;
  /** The service's instances after the change, draining ones included; empty when it has none left. */
  instances: InstanceRecord[];
}

export type DiscoveryListener = (change: DiscoveryChange) => void;

export class StaticDiscovery implements Discovery {
  readonly #table: Map<string, string[]>;
  readonly #since = new Date().toISOString();

  constructor(table: Record<string, string | string[]>) {
    this.#table = new Map(
      Object.entries(table).map(([name, urls]) => [
        name,
        (Array.isArray(urls) ? urls : [urls]).map(stripSlash),
      ]),
    );
  }

  /** `users=http://users:8080,todos=http://todos-1:8080|http://todos-2:8080` */
  static parse(text: string): StaticDiscovery {
    const table: Record<string, string[]> = {};
    for (const pair of text
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)) {
      const at = pair.indexOf('=');
      const name = pair.slice(0, at).trim();
      const urls = pair
        .slice(at + 1)
        .split('|')
        .map((u) => u.trim())
        .filter(Boolean);
      if (at <= 0 || urls.length === 0)
        throw new Error(`SERVICE_URLS entry "${pair}" is not name=url`);
      for (const url of urls) new URL(url);
      table[name] = urls;
    }
    return new StaticDiscovery(table);
  }

  instances(service: string): string[] {
    return this.#table.get(service) ?? [];
  }

  services(): string[] {
    return [...this.#table.keys()];
  }

  /** The table as records: a static entry is always ready, its version and zone unknown. */
  all(): InstanceRecord[] {
    return [...this.#table].flatMap(([service, urls]) =>
      urls.map((url) => {
        const parsed = new URL(url);
        const port = Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
        return {
          service,
          id: parsed.host,
          address: parsed.hostname,
          port,
          url,
          version: '',
          zone: '',
          health: 'ready' as const,
          startedAt: this.#since,
          heartbeatAt: this.#since,
        };
      }),
    );
  }

  /** A static table never changes, so the listener is never called. */
  watch(_listener: DiscoveryListener): () => void {
    return () => {};
  }

  async close(): Promise<void> {}
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
