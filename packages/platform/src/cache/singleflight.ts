/**
 * Concurrent lookups of one key share one flight, so a cold key costs one load, not one per
 * request. `detach` makes the next lookup start afresh: after an invalidation a new get must
 * never join a flight that may have read the old value. (The distributed cache keys flights
 * by version instead, since invalidations of other instances never reach this map.)
 */
export class Flights {
  readonly #current = new Map<string, Promise<unknown>>();

  run<T>(key: string, start: (isCurrent: () => boolean) => Promise<T>): Promise<T> {
    const existing = this.#current.get(key);
    if (existing) return existing as Promise<T>;
    // Read only after start's first await, by which time `flight` is set.
    const isCurrent = () => this.#current.get(key) === flight;
    const flight: Promise<T> = start(isCurrent).finally(() => {
      if (isCurrent()) this.#current.delete(key);
    });
    this.#current.set(key, flight);
    return flight;
  }

  detach(key: string): void {
    this.#current.delete(key);
  }
}
