import type { BusObserver } from '../bus/observer.ts';

/**
 * The embedded bus is one per process, with one observer, but metrics are per service. The hub
 * routes each observation to the service it belongs to: consumer groups are named
 * `<service>_<consumer>`, and an event type `lattice.<context>.…` is published by the service of
 * that bounded context.
 */
export class ObserverHub {
  readonly #services = new Map<string, BusObserver>();

  register(service: string, observer: BusObserver): void {
    this.#services.set(service, observer);
  }

  get observer(): BusObserver {
    const byGroup = (group: string) => this.#services.get(group.split('_')[0] ?? '');
    const byType = (type: string) => this.#services.get(type.split('.')[1] ?? '');
    return {
      published: (type) => byType(type)?.published?.(type),
      consumed: (type, group, ms) => byGroup(group)?.consumed?.(type, group, ms),
      redelivered: (type, group, attempt) => byGroup(group)?.redelivered?.(type, group, attempt),
      failed: (type, group, attempt, error) =>
        byGroup(group)?.failed?.(type, group, attempt, error),
      deadLettered: (type, group, reason) => byGroup(group)?.deadLettered?.(type, group, reason),
    };
  }
}
