import type { buildGateway } from './upstream.ts';

type Gateway = Awaited<ReturnType<typeof buildGateway>>;

export interface InstanceView {
  url: string;
  usable: boolean;
  health: string;
  ejected: boolean;
  ejections: number;
  circuit: string;
  inFlight: number;
  consecutiveFailures: number;
}

export interface ServicesView {
  rateLimits: { store: string; degraded: boolean };
  aliases: Record<string, string>;
  services: Array<{ name: string; inFlight: number; aliases: string[]; instances: InstanceView[] }>;
}

/** GET /api/v1/gateway/services as a platform admin. */
export async function servicesView(gateway: Gateway): Promise<ServicesView> {
  const res = await gateway.app.inject({
    method: 'GET',
    url: '/api/v1/gateway/services',
    headers: {
      authorization: `Bearer ${gateway.issuer.sign({ claims: { roles: ['platform-admin'] } })}`,
    },
  });
  if (res.statusCode !== 200) throw new Error(`services listing answered ${res.statusCode}`);
  return res.json();
}

export async function instanceView(gateway: Gateway, url: string): Promise<InstanceView> {
  const view = await servicesView(gateway);
  for (const service of view.services)
    for (const instance of service.instances) if (instance.url === url) return instance;
  throw new Error(`${url} is not listed`);
}
