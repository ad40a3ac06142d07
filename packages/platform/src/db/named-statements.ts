import pg from 'pg';

/** Most statement texts a connection pool names; the rest are sent unnamed, as before. */
export const MAX_NAMED_STATEMENTS = 200;

/**
 * Runs of a named statement on one connection after which it is prepared again, under a new
 * name; then eight times as many runs, and so on. PostgreSQL keeps the generic plan it made at
 * a statement's sixth run until a table's statistics change (ANALYZE), and a plan made when
 * the tables were nearly empty (a fresh service) may scan a table whole that has since grown:
 * prepared again, the statement is planned for the tables as they are.
 */
export const FIRST_REPLAN_AFTER = 256;
const REPLAN_GROWTH = 8;

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
  /** Runs on a connection before a named statement is first prepared again. */
  readonly replanAfter: number;

  constructor(max = MAX_NAMED_STATEMENTS, options: { replanAfter?: number } = {}) {
    this.#max = max;
    this.replanAfter = options.replanAfter ?? FIRST_REPLAN_AFTER;
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

const BEGINS = /^\s*(begin|start transaction)\b/i;
// Not `rollback to savepoint`, which stays in the transaction.
const ENDS = /^\s*(commit|end|rollback)\s*(transaction|work)?\s*;?\s*$/i;

/**
 * PostgreSQL refuses to run a prepared statement whose result columns changed since it was
 * prepared: a migration added a column to a table it reads with `*`, while this instance runs.
 */
function isStalePlan(error: unknown): boolean {
  return (
    (error as { code?: string }).code === '0A000' &&
    /cached plan must not change result type/.test((error as Error).message)
  );
}

/**
 * A pg Client class whose parameterised queries by text (what Kysely sends) go as named
 * statements once `names` names them: PostgreSQL then parses and plans such a statement once
 * per connection instead of at every run, a large part of its cost for the small statements of
 * a service. Everything else goes through untouched.
 *
 * A statement made stale by a migration is prepared again under a new name on this connection
 * (the old one goes with the connection). Outside a transaction it is simply run again;
 * inside one the error stands (the transaction has failed) and the retry of the whole
 * transaction finds the fresh statement.
 */
export function namedStatementClient(names: StatementNames): typeof pg.Client {
  return class NamedStatementClient extends pg.Client {
    #generation = 0;
    #inTransaction = false;
    /** Per name: runs on this connection, when it is next prepared again, the name it runs under. */
    readonly #plans = new Map<
      string,
      { runs: number; replanAt: number; replans: number; current: string | undefined }
    >();
    /** Names prepared again meanwhile, deallocated once no transaction is open. */
    #superseded: string[] = [];

    // biome-ignore lint/suspicious/noExplicitAny: pg's query() is a set of overloads.
    override query(...args: any[]): any {
      const [text, values] = args;
      let result: unknown;
      if (args.length === 2 && typeof text === 'string' && Array.isArray(values)) {
        this.#track(text);
        const name = names.nameOf(text);
        if (name !== undefined) result = this.#named(name, text, values, !this.#inTransaction);
      }
      // biome-ignore lint/suspicious/noExplicitAny: forwarded as received.
      result ??= (super.query as (...forwarded: any[]) => any)(...args);
      this.#deallocateSuperseded();
      return result;
    }

    async #named(
      name: string,
      text: string,
      values: unknown[],
      retry: boolean,
      again = false,
    ): Promise<pg.QueryResult> {
      const generation = this.#generation;
      const named = this.#currentName(name, generation, again);
      try {
        return await super.query({ name: named, text, values });
      } catch (error) {
        if (!isStalePlan(error)) throw error;
        if (this.#generation === generation) this.#generation += 1;
        if (!retry) throw error;
        return this.#named(name, text, values, false, true);
      }
    }

    /**
     * The name `name` goes under on this connection now, counting this run (not a run again
     * after a stale plan). What is superseded is the name it last ran under, whatever the
     * generation then; one left behind by a stale plan stays with the connection.
     */
    #currentName(name: string, generation: number, again: boolean): string {
      let plan = this.#plans.get(name);
      if (plan === undefined) {
        plan = { runs: 0, replanAt: names.replanAfter, replans: 0, current: undefined };
        this.#plans.set(name, plan);
      }
      if (!again) plan.runs += 1;
      if (plan.runs > plan.replanAt) {
        if (plan.current !== undefined) this.#superseded.push(plan.current);
        plan.replans += 1;
        plan.runs = 1;
        plan.replanAt *= REPLAN_GROWTH;
      }
      const base = generation === 0 ? name : `${name}_${generation}`;
      const named = plan.replans === 0 ? base : `${base}_r${plan.replans}`;
      plan.current = named;
      return named;
    }

    /**
     * Queued behind what was just sent, so never inside a transaction: there a failed
     * DEALLOCATE (a statement whose first run failed before it was prepared) would fail the
     * transaction. Outside one, such a failure changes nothing.
     */
    #deallocateSuperseded(): void {
      if (this.#inTransaction || this.#superseded.length === 0) return;
      for (const name of this.#superseded.splice(0)) {
        super.query(`DEALLOCATE "${name}"`).catch(() => {});
      }
    }

    /** Kysely opens and ends transactions with these statements, on this connection. */
    #track(text: string): void {
      if (BEGINS.test(text)) this.#inTransaction = true;
      else if (ENDS.test(text)) this.#inTransaction = false;
    }
  };
}
