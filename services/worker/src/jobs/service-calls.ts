import {
  createHttpClient,
  type Discovery,
  type HttpClient,
  type ServiceContext,
} from '@lattice/platform';

/** What a job learns from one call: the status and the JSON body, whatever the status. */
export interface ServiceAnswer<T = unknown> {
  status: number;
  body: T;
}

/** Calls other services' internal routes with this service's token; never their databases. */
export interface ServiceCalls {
  post<T>(service: string, path: string, body: unknown): Promise<ServiceAnswer<T>>;
  /** Services known to discovery (for jobs that visit every service). */
  services(): string[];
  close(): Promise<void>;
}

/** A failure worded for the run's detail: which service, and what went wrong. */
export class ServiceCallError extends Error {
  constructor(service: string, problem: string, options?: { cause?: unknown }) {
    super(`${service}: ${problem}`, options);
    this.name = 'ServiceCallError';
  }
}

/** Problem+json's detail (or title), else the status alone. */
export function answerProblem(answer: ServiceAnswer): string {
  const body = answer.body as { detail?: unknown; title?: unknown } | undefined;
  const text = typeof body?.detail === 'string' ? body.detail : body?.title;
  return typeof text === 'string'
    ? `answered ${answer.status} (${text})`
    : `answered ${answer.status}`;
}

export function serviceCalls(options: {
  discovery: Discovery;
  auth: Pick<ServiceContext['auth'], 'serviceTokens'>;
  timeoutMs: number;
}): ServiceCalls {
  const clients = new Map<string, HttpClient>();
  const clientFor = (service: string): HttpClient => {
    let client = clients.get(service);
    if (!client) {
      client = createHttpClient({
        name: service,
        // Resolved on every attempt: instances come and go between runs.
        baseUrl: () => {
          const url = options.discovery.instances(service)[0];
          if (!url) throw new ServiceCallError(service, 'no instance is known to discovery');
          return url;
        },
        timeoutMs: options.timeoutMs,
      });
      clients.set(service, client);
    }
    return client;
  };

  return {
    async post<T>(service: string, path: string, body: unknown) {
      if (options.discovery.instances(service).length === 0)
        throw new ServiceCallError(service, 'no instance is known to discovery');
      let token: string;
      try {
        token = await options.auth.serviceTokens.tokenFor(service);
      } catch (error) {
        throw new ServiceCallError(
          service,
          `no service token to call it (${(error as Error).message})`,
          { cause: error },
        );
      }
      try {
        const answer = await clientFor(service).post<T>(path, body, {
          headers: { authorization: `Bearer ${token}` },
        });
        return { status: answer.status, body: answer.body };
      } catch (error) {
        if (error instanceof ServiceCallError) throw error;
        throw new ServiceCallError(service, (error as Error).message, { cause: error });
      }
    },
    services: () => options.discovery.services(),
    async close() {
      await Promise.all([...clients.values()].map((client) => client.close()));
    },
  };
}
