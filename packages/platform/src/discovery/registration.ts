import type { InstanceRecord } from '../discovery.ts';

/** What a service instance tells the registry about itself; the rest is derived. */
export interface InstanceInfo {
  service: string;
  /** The port it listens on. */
  port: number;
  /** Reachable address; default: guessed from the interfaces (pass the pod IP in Kubernetes). */
  address?: string;
  /** Default `http://<address>:<port>`. */
  url?: string;
  /** Default: a new id per process (host-pid-random). */
  id?: string;
  version?: string;
  zone?: string;
}

/** A service instance's entry in the registry, held from listen to shutdown. */
export interface Registration {
  /** The entry as last written. */
  readonly record: InstanceRecord;
  /**
   * Tells watchers to send no new requests: call when shutdown begins, before the drain delay,
   * so routers have stopped choosing this instance by the time it stops accepting.
   */
  markDraining(): Promise<void>;
  /** Removes the entry and stops heartbeats; call after in-flight requests have finished. */
  deregister(): Promise<void>;
}

/** For static and DNS discovery, where an instance cannot announce itself. */
export function noRegistration(record: InstanceRecord): Registration {
  return {
    record,
    markDraining: async () => {},
    deregister: async () => {},
  };
}
