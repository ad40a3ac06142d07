import type { Context } from '@opentelemetry/api';

// The API's own key for the active span (`createContextKey` is `Symbol.for`), so
// `trace.getSpan` finds a span set here.
const SPAN_KEY = Symbol.for('OpenTelemetry Context Key SPAN');
const DELETED = Symbol('deleted');
// Past this many links a lookup walks too far: the values are copied into one Map instead.
const MAX_DEPTH = 8;

/**
 * An OpenTelemetry context that adds one value to a parent context. The API's `BaseContext`
 * copies its whole Map and makes three closures on every `setValue`; a request sets the active
 * span at least once, so this is on every request's path.
 */
export class LinkedContext implements Context {
  readonly #parent: Context;
  readonly #key: symbol;
  readonly #value: unknown;
  readonly #depth: number;

  constructor(parent: Context, key: symbol, value: unknown) {
    this.#parent = parent;
    this.#key = key;
    this.#value = value;
    this.#depth = parent instanceof LinkedContext ? parent.#depth + 1 : 1;
  }

  getValue(key: symbol): unknown {
    if (key === this.#key) return this.#value === DELETED ? undefined : this.#value;
    return this.#parent.getValue(key);
  }

  setValue(key: symbol, value: unknown): Context {
    if (this.#depth < MAX_DEPTH) return new LinkedContext(this, key, value);
    return this.#folded().setValue(key, value);
  }

  deleteValue(key: symbol): Context {
    return this.setValue(key, DELETED);
  }

  /** The chain's values in one Map (the nearest wins) over the chain's root context. */
  #folded(): MapContext {
    const values = new Map<symbol, unknown>();
    let context: Context = this;
    while (context instanceof LinkedContext) {
      if (!values.has(context.#key)) values.set(context.#key, context.#value);
      context = context.#parent;
    }
    return new MapContext(values, context);
  }
}

/** A long chain folded into one Map over the chain's root; new values link onto it again. */
class MapContext implements Context {
  readonly #values: Map<symbol, unknown>;
  readonly #root: Context;

  constructor(values: Map<symbol, unknown>, root: Context) {
    this.#values = values;
    this.#root = root;
  }

  getValue(key: symbol): unknown {
    if (!this.#values.has(key)) return this.#root.getValue(key);
    const value = this.#values.get(key);
    return value === DELETED ? undefined : value;
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value);
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, DELETED);
  }
}

/** `trace.setSpan(parent, span)` without copying the parent's values. */
export function withActiveSpan(parent: Context, span: unknown): Context {
  return new LinkedContext(parent, SPAN_KEY, span);
}
