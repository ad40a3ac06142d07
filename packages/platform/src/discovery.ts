/**
 * The `Discovery` port: where a service's instances are. This is the static table (embedded
 * default and Compose); NATS KV and DNS implementations come with the gateway issue.
 */
export interface Discovery {
  /** Base URLs of the named service's instances; empty when unknown. */
  instances(service: string): string[];
  services(): string[];
}

export class StaticDiscovery implements Discovery {
  readonly #table: Map<string, string[]>;

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
}

function stripSlash(url: string): string {
  return url.replace(/\/+$/, '');
}
