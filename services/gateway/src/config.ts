import { Type } from 'typebox';

export const gatewayConfig = Type.Object({
  GATEWAY_UPSTREAM_TIMEOUT_MS: Type.Integer({
    minimum: 1,
    default: 30_000,
    description: 'Longest wait for an upstream to start answering before 504',
  }),
  GATEWAY_CONNECTIONS_PER_UPSTREAM: Type.Integer({
    minimum: 1,
    default: 128,
    description: 'Keep-alive connections the gateway keeps open to each upstream instance',
  }),
  GATEWAY_READY_REQUIRES_UPSTREAMS: Type.Boolean({
    default: true,
    description:
      'Readiness also requires every known upstream to be ready (false behind a Kubernetes Service)',
  }),
});
