import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestTokenIssuer } from '@lattice/platform/testing';

/**
 * Stands in for the auth service's service-token endpoint (`POST /api/v1/auth/service-tokens`):
 * it mints a token for the asked audience with the test issuer's key, the one every service
 * here verifies against. Counts what it minted.
 */
export async function serviceTokenEndpoint(issuer: TestTokenIssuer) {
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => {
      body += chunk;
    });
    request.on('end', async () => {
      if (request.method !== 'POST' || request.url !== '/api/v1/auth/service-tokens') {
        response.writeHead(404).end();
        return;
      }
      const { clientId, audience } = JSON.parse(body) as { clientId: string; audience: string };
      const accessToken = await serviceToken(issuer, clientId, audience);
      endpoint.minted++;
      response
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ accessToken, expiresIn: 900 }));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const endpoint = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    minted: 0,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  return endpoint;
}

/** A service token as auth mints it: `caller` calling `callee`. */
export function serviceToken(issuer: TestTokenIssuer, caller: string, callee: string) {
  return issuer.sign(
    {},
    {
      sub: `service:${caller}`,
      aud: `urn:lattice:service:${callee}`,
      tid: undefined,
      roles: undefined,
    },
  );
}
