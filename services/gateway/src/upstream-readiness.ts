import type { Discovery } from '@lattice/platform';
import type { UpstreamPools } from './proxy/upstream-pools.ts';

const PROBE_TIMEOUT_MS = 1_500;

async function anyInstanceReady(pools: UpstreamPools, instances: string[]): Promise<boolean> {
  for (const origin of instances) {
    try {
      const { statusCode, body } = await pools.pool(origin).request({
        method: 'GET',
        path: '/health/ready',
        headersTimeout: PROBE_TIMEOUT_MS,
        bodyTimeout: PROBE_TIMEOUT_MS,
      });
      await body.dump();
      if (statusCode === 200) return true;
    } catch {
      // Try the next instance: one down instance does not make the service unavailable.
    }
  }
  return false;
}

/** The platform is ready when every service it routes to has at least one ready instance. */
export function upstreamReadiness(discovery: Discovery, pools: UpstreamPools) {
  return async () => {
    const services = discovery.services().filter((name) => name !== 'gateway');
    const results = await Promise.all(
      services.map(
        async (name) => [name, await anyInstanceReady(pools, discovery.instances(name))] as const,
      ),
    );
    const down = results.filter(([, ready]) => !ready).map(([name]) => name);
    if (down.length > 0) throw new Error(`not ready: ${down.join(', ')}`);
  };
}
