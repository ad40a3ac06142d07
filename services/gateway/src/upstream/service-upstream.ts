import { HashRing } from './hash-ring.ts';
import type { Balancer } from './resilience-config.ts';
import { RetryBudget } from './retry-budget.ts';
import type { UpstreamInstance } from './upstream-instance.ts';

export interface ServiceUpstreamOptions {
  maxConcurrent: number;
  virtualNodes: number;
  retryBudgetRatio: number;
  retryBudgetMinPerSecond: number;
}

/**
 * The instances of one upstream service and how a request picks one. The usable instances are
 * kept in an array rebuilt only when something changes (discovery, an outcome, a health check,
 * an ejection or open circuit running out), so a pick is O(1) for round-robin and
 * least-outstanding and O(log n) for the hash ring, with no allocation.
 */
export class ServiceUpstream {
  readonly name: string;
  readonly budget: RetryBudget;
  readonly maxConcurrent: number;
  /** Requests of this service in flight (the bulkhead's count). */
  inFlight = 0;
  instances: UpstreamInstance[] = [];
  #listed: readonly string[] = [];
  #usable: UpstreamInstance[] = [];
  #dirty = true;
  #wakeAt = Number.POSITIVE_INFINITY;
  #cursor = -1;
  #ring: HashRing | undefined;
  readonly #virtualNodes: number;

  constructor(name: string, options: ServiceUpstreamOptions) {
    this.name = name;
    this.maxConcurrent = options.maxConcurrent;
    this.#virtualNodes = options.virtualNodes;
    this.budget = new RetryBudget(options.retryBudgetRatio, options.retryBudgetMinPerSecond);
  }

  /** Whether `list` (from discovery) differs from the instances held now. */
  differs(list: readonly string[]): boolean {
    if (list === this.#listed) return false;
    if (list.length === this.instances.length) {
      let same = true;
      for (let i = 0; i < list.length; i++) {
        if (this.instances[i]?.origin !== list[i]) {
          same = false;
          break;
        }
      }
      // A discovery that hands out a new array per call costs a compare, not a rebuild.
      if (same) {
        this.#listed = list;
        return false;
      }
    }
    return true;
  }

  replace(list: readonly string[], instances: UpstreamInstance[]): void {
    this.#listed = list;
    this.instances = instances;
    this.#ring = undefined;
    this.#dirty = true;
  }

  changed(): void {
    this.#dirty = true;
  }

  #refresh(): void {
    const now = performance.now();
    if (!this.#dirty && now < this.#wakeAt) return;
    this.#dirty = false;
    this.#wakeAt = Number.POSITIVE_INFINITY;
    const usable: UpstreamInstance[] = [];
    // Instances only active checks keep out (draining, or failing their readiness): used
    // when nothing else is left, since a draining instance still answers and a readiness
    // failure shared by every instance (a database blip) should not take the service down.
    const fallback: UpstreamInstance[] = [];
    for (const instance of this.instances) {
      const admitted = instance.admits(now);
      const wake = instance.wakeAt();
      if (wake < this.#wakeAt) this.#wakeAt = wake;
      if (!admitted) continue;
      if (instance.healthy()) usable.push(instance);
      else fallback.push(instance);
    }
    const chosen = usable.length > 0 ? usable : fallback;
    for (const instance of this.instances) instance.usable = false;
    for (const instance of chosen) instance.usable = true;
    this.#usable = chosen;
  }

  /** How many instances a pick could choose from now. */
  usableCount(): number {
    this.#refresh();
    return this.#usable.length;
  }

  /** An instance for the next attempt, never one of `exclude`; undefined when none is left. */
  pick(
    balancer: Balancer,
    hash: number,
    exclude: readonly UpstreamInstance[] | undefined,
  ): UpstreamInstance | undefined {
    this.#refresh();
    const usable = this.#usable;
    const n = usable.length;
    if (n === 0) return undefined;
    if (balancer === 'consistent-hash') {
      this.#ring ??= new HashRing(this.instances, this.#virtualNodes);
      return this.#ring.pick(hash, exclude);
    }
    let first: UpstreamInstance | undefined;
    for (let i = 0; i < n; i++) {
      this.#cursor = (this.#cursor + 1) % n;
      const candidate = usable[this.#cursor] as UpstreamInstance;
      if (exclude === undefined || !exclude.includes(candidate)) {
        first = candidate;
        break;
      }
    }
    if (first === undefined || balancer === 'round-robin' || n === 1) return first;
    // Least outstanding by the power of two choices: the round-robin candidate against a
    // random different one, the one with fewer requests in flight wins (ties keep the
    // rotation, so an idle service is served round-robin).
    const other = usable[
      (this.#cursor + 1 + Math.floor(Math.random() * (n - 1))) % n
    ] as UpstreamInstance;
    if (exclude?.includes(other)) return first;
    return other.inFlight < first.inFlight ? other : first;
  }
}
