/** Where a service's DNS name points: the host to resolve and the port its instances listen on. */
export interface DnsTarget {
  host: string;
  port: number;
}

export const DEFAULT_DNS_TEMPLATE = '{service}:{port}';
export const DEFAULT_DNS_PORT = 8080;

export interface DnsTargetOptions {
  /** `{service}`, `{namespace}` and `{port}` are filled in; a missing `:port` gets the port. */
  template?: string;
  namespace?: string;
  /** Port of every service unless `ports` names it. */
  port?: number;
  ports?: Record<string, number>;
  /** Explicit `host:port` (or `host`) per service, overriding the template. */
  overrides?: Record<string, string>;
}

export function dnsTarget(service: string, options: DnsTargetOptions = {}): DnsTarget {
  const port = options.ports?.[service] ?? options.port ?? DEFAULT_DNS_PORT;
  const text =
    options.overrides?.[service] ??
    (options.template || DEFAULT_DNS_TEMPLATE)
      .replaceAll('{service}', service)
      .replaceAll('{namespace}', options.namespace || 'default')
      .replaceAll('{port}', String(port));
  return parseHostPort(text, port);
}

/** `host`, `host:port`, `[v6]` or `[v6]:port`. */
export function parseHostPort(text: string, defaultPort: number): DnsTarget {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  const plain = /^([^:[\]]+)(?::(\d+))?$/.exec(text);
  const match = bracketed ?? plain;
  const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535)
    throw new TypeError(`discovery: "${text}" is not host:port`);
  return { host: match[1]!, port };
}

/**
 * `users,todos=todos.shop.svc:8083`: names resolved through the template, or given their own
 * `host:port`. Returns the names in order and the explicit targets.
 */
export function parseDnsServices(text: string): {
  names: string[];
  overrides: Record<string, string>;
} {
  const names: string[] = [];
  const overrides: Record<string, string> = {};
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const at = item.indexOf('=');
    const name = (at < 0 ? item : item.slice(0, at)).trim();
    if (!name) throw new TypeError(`discovery: DNS service entry "${item}" has no name`);
    names.push(name);
    if (at >= 0) {
      const target = item.slice(at + 1).trim();
      parseHostPort(target, DEFAULT_DNS_PORT);
      overrides[name] = target;
    }
  }
  return { names, overrides };
}
