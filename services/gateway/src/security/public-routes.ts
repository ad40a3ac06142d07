/**
 * The routes a caller may use without an access token, matched on method and exact path: a
 * prefix or pattern would let `/api/v1/auth/login/../../users` ride on a public entry. An
 * encoded or otherwise unusual spelling of a public path simply needs a token.
 */
export class PublicRoutes {
  readonly #routes: Set<string>;

  constructor(routes: Iterable<string>) {
    this.#routes = new Set(routes);
  }

  /** `POST /api/v1/auth/login,GET /api/v1/auth/.well-known/jwks.json` (validated by config). */
  static parse(list: string): PublicRoutes {
    const routes = list
      .split(',')
      .map((entry) => entry.trim().split(/\s+/).join(' '))
      .filter(Boolean);
    return new PublicRoutes(routes);
  }

  /** `url` as received, query included; only its path is compared. */
  has(method: string, url: string): boolean {
    const path = url.split('?', 1)[0] ?? '';
    return this.#routes.has(`${method.toUpperCase()} ${path}`);
  }

  list(): string[] {
    return [...this.#routes];
  }
}
