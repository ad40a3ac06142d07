import type { Discovery } from '@lattice/platform';
import type { UpstreamPools } from '../proxy/upstream-pools.ts';
import { ServiceUpstream, type ServiceUpstreamOptions } from './service-upstream.ts';
import { type InstancePolicy, UpstreamInstance } from './upstream-instance.ts';

export interface UpstreamsOptions {
  discovery: Discovery;
  pools: UpstreamPools;
  instancePolicy: InstancePolicy;
  serviceOptions(service: string): ServiceUpstreamOptions;
  onEjection?(service: string, instance: UpstreamInstance): void;
}

/**
 * Every upstream service the gateway has routed to, kept in step with discovery: `get` reads
 * the service's instances from discovery on every call, so a change applies to the very next
 * request, while state learned about an instance (in flight, circuit, ejection, health)
 * survives as long as discovery keeps listing it.
 */
export class Upstreams {
  readonly #services = new Map<string, ServiceUpstream>();
  readonly #options: UpstreamsOptions;

  constructor(options: UpstreamsOptions) {
    this.#options = options;
  }

  /** The service with its instances as discovery lists them now; undefined when unknown. */
  get(name: string): ServiceUpstream | undefined {
    const discovery = this.#options.discovery;
    const list = discovery.instances(name);
    let service = this.#services.get(name);
    if (service === undefined) {
      // An empty list is either an unknown service or a known one with no instance left.
      if (list.length === 0 && !discovery.services().includes(name)) return undefined;
      service = new ServiceUpstream(name, this.#options.serviceOptions(name));
      this.#services.set(name, service);
    }
    if (service.differs(list)) this.#sync(service, list);
    return service;
  }

  /** Services known to discovery now. */
  all(exceptSelf: string): ServiceUpstream[] {
    const out: ServiceUpstream[] = [];
    for (const name of this.#options.discovery.services()) {
      if (name === exceptSelf) continue;
      const service = this.get(name);
      if (service) out.push(service);
    }
    return out;
  }

  #sync(service: ServiceUpstream, list: readonly string[]): void {
    const { pools, instancePolicy, onEjection } = this.#options;
    const previous = new Map(service.instances.map((i) => [i.origin, i]));
    const instances = list.map((origin) => {
      const kept = previous.get(origin);
      if (kept) {
        previous.delete(origin);
        return kept;
      }
      return new UpstreamInstance(
        origin,
        pools.pool(origin),
        instancePolicy,
        {
          changed: () => service.changed(),
          ejected: (instance) => onEjection?.(service.name, instance),
          othersInRotation: (instance) =>
            service.instances.some((other) => other !== instance && other.ejectedUntil === 0),
        },
        () => pools.streamPool(origin),
      );
    });
    for (const gone of previous.keys()) pools.release(gone);
    service.replace(list, instances);
  }
}
