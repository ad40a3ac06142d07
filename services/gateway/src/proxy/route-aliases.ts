const NAME = /^[a-z][a-z0-9-]*$/;

/**
 * Path segments served by a service of another name: `/api/v1/products/...` goes to `orders`,
 * which serves `/api/v1/products` itself. The path is forwarded unchanged, as for any route;
 * only the choice of upstream changes. An alias wins over a service of the same name, so an
 * alias is never silently shadowed by whatever discovery happens to list.
 */
export class RouteAliases {
  readonly #targets: ReadonlyMap<string, string>;

  constructor(targets: ReadonlyMap<string, string>) {
    this.#targets = targets;
  }

  /**
   * `products=orders,catalog=orders` or `none` (shape already checked by the config schema); `self` is
   * the gateway's own name, which is neither an alias nor a target (it would route to itself).
   */
  static parse(list: string, self: string): RouteAliases {
    const targets = new Map<string, string>();
    if (list.trim() === 'none') return new RouteAliases(targets);
    for (const raw of list.split(',')) {
      const entry = raw.trim();
      if (entry === '') continue;
      const [segment = '', service = '', ...rest] = entry.split('=').map((part) => part.trim());
      const fail = (why: string) => {
        throw new Error(`GATEWAY_ROUTE_ALIASES: "${entry}" ${why}`);
      };
      if (rest.length > 0 || !NAME.test(segment) || !NAME.test(service))
        fail('is not <segment>=<service> (lower-case names: letters, digits, dashes)');
      if (segment === service) fail('names the same service twice');
      if (segment === self || service === self) fail(`may not involve the ${self} itself`);
      if (targets.has(segment))
        fail(`repeats ${segment}, already routed to ${targets.get(segment)}`);
      targets.set(segment, service);
    }
    return new RouteAliases(targets);
  }

  /** The service serving `segment` when it is an alias; undefined otherwise. */
  target(segment: string): string | undefined {
    return this.#targets.get(segment);
  }

  /** Aliases routed to `service`, for the operator listing. */
  of(service: string): string[] {
    const out: string[] = [];
    for (const [segment, target] of this.#targets) if (target === service) out.push(segment);
    return out;
  }

  /** `{ products: 'orders' }`. */
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.#targets);
  }
}
