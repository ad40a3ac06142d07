import pg from 'pg';

/** Most statement texts a process names; the rest are sent unnamed, as before. */
export const MAX_NAMED_STATEMENTS = 200;

/**
 * Which statement texts are sent as named (prepared) statements: a text seen a second time gets
 * a name, while fewer than `max` have one. A text that is only ever run once (a migration, a
 * rare query) stays unnamed, so no connection holds a plan for it.
 *
 * One table per connection pool: a name always stands for the same text, on every connection,
 * which is what node-postgres requires of names (it prepares a name once per connection and
 * refuses another text under it).
 */
export class StatementNames {
  readonly #max: number;
  readonly #seen = new Set<string>();
  readonly #names = new Map<string, string>();

  constructor(max = MAX_NAMED_STATEMENTS) {
    this.#max = max;
  }

  /** The name to send `text` under, or undefined to send it unnamed. */
  nameOf(text: string): string | undefined {
    // A prepared statement holds one command: a script (a migration, say) is never named.
    if (text.includes(';')) return undefined;
    const name = this.#names.get(text);
    if (name !== undefined || this.#names.size >= this.#max) return name;
    if (!this.#seen.has(text)) {
      // Bounded too: a stream of one-off texts must not grow the set for ever.
      if (this.#seen.size >= this.#max * 16) this.#seen.clear();
      this.#seen.add(text);
      return undefined;
    }
    this.#seen.delete(text);
    const named = `lattice_${this.#names.size}`;
    this.#names.set(text, named);
    return named;
  }

  get size(): number {
    return this.#names.size;
  }
}

/**
 * A pg Client class whose parameterised queries by text (what Kysely sends) go as named
 * statements once `names` names them: PostgreSQL then parses and plans such a statement once
 * per connection instead of at every run, which is most of its cost for the small statements
 * of a service. Everything else goes through untouched.
 */
export function namedStatementClient(names: StatementNames): typeof pg.Client {
  return class NamedStatementClient extends pg.Client {
    // biome-ignore lint/suspicious/noExplicitAny: pg's query() is a set of overloads.
    override query(...args: any[]): any {
      const [text, values] = args;
      if (args.length === 2 && typeof text === 'string' && Array.isArray(values)) {
        const name = names.nameOf(text);
        if (name !== undefined) return super.query({ name, text, values });
      }
      // biome-ignore lint/suspicious/noExplicitAny: forwarded as received.
      return (super.query as (...forwarded: any[]) => any)(...args);
    }
  };
}
