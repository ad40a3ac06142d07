import type { DiscoveryChange, DiscoveryListener } from '../discovery.ts';
import type { DiscoveryLogger } from './logger.ts';

/** The `watch(listener)` half of a Discovery; one throwing listener must not starve the others. */
export class ChangeListeners {
  readonly #listeners = new Set<DiscoveryListener>();
  readonly #logger: DiscoveryLogger | undefined;

  constructor(logger?: DiscoveryLogger) {
    this.#logger = logger;
  }

  add(listener: DiscoveryListener): () => void {
    // Wrapped so the same function may watch twice and unsubscribe each registration alone.
    const entry: DiscoveryListener = (change) => listener(change);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  emit(change: DiscoveryChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (error) {
        this.#logger?.warn({ err: error, service: change.service }, 'discovery listener failed');
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
