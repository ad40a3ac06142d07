import type { TSchema } from 'typebox';

/**
 * One version of one event type. `schema` validates the CloudEvent's `data`; producer and
 * consumers are documentation (the catalog), not routing: routing is by NATS subject.
 */
export interface EventContract<S extends TSchema = TSchema> {
  /** CloudEvent type, `lattice.<context>.<aggregate>.<event>.v<N>`. */
  type: string;
  version: number;
  schema: S;
  /** The one service that publishes this type. */
  producer: string;
  consumers: string[];
  description: string;
  /**
   * Valid `data` values, frozen into the schema snapshot: later versions of the schema must
   * still accept them (see test/compatibility.test.ts).
   */
  examples: unknown[];
}

const TYPE_PATTERN = /^lattice\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v([1-9][0-9]*)$/;

/** Checks the type's shape once, where the contract is written, and derives the version from it. */
export function defineContract<S extends TSchema>(
  contract: Omit<EventContract<S>, 'version'>,
): EventContract<S> {
  const match = TYPE_PATTERN.exec(contract.type);
  if (!match) {
    throw new Error(
      `event type ${contract.type} must look like lattice.<context>.<aggregate>.<event>.v<N> (lower-case)`,
    );
  }
  return { ...contract, version: Number(match[1]) };
}
