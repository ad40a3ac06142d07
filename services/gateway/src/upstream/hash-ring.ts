import { hash32 } from '../util/hash.ts';
import type { UpstreamInstance } from './upstream-instance.ts';

/**
 * Consistent hashing with virtual nodes: each instance owns `vnodes` points on a 32-bit ring
 * and a key goes to the first point at or after its hash. Adding or removing an instance moves
 * only the keys next to its points (about 1/n of them), so affinity survives scaling, and an
 * unusable owner hands its keys to the next instance on the ring, not to a reshuffle.
 */
export class HashRing {
  readonly #points: Uint32Array;
  readonly #owners: UpstreamInstance[];

  constructor(instances: readonly UpstreamInstance[], vnodes: number) {
    const entries: Array<[number, UpstreamInstance]> = [];
    for (const instance of instances) {
      for (let i = 0; i < vnodes; i++) entries.push([hash32(`${instance.origin}#${i}`), instance]);
    }
    // Ties broken by origin so every gateway replica builds the same ring.
    entries.sort((a, b) => a[0] - b[0] || (a[1].origin < b[1].origin ? -1 : 1));
    this.#points = Uint32Array.from(entries, (e) => e[0]);
    this.#owners = entries.map((e) => e[1]);
  }

  /** The owner of `hash`, skipping unusable and excluded instances clockwise. */
  pick(
    hash: number,
    exclude: readonly UpstreamInstance[] | undefined,
  ): UpstreamInstance | undefined {
    const points = this.#points;
    const n = points.length;
    if (n === 0) return undefined;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((points[mid] as number) < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let step = 0; step < n; step++) {
      const owner = this.#owners[(lo + step) % n] as UpstreamInstance;
      if (owner.usable && (exclude === undefined || !exclude.includes(owner))) return owner;
    }
    return undefined;
  }
}
