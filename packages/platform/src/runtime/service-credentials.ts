import { randomBytes } from 'node:crypto';

/**
 * Local runs (`npm start`, `npm run start:distributed`) mint one service-token credential per
 * service at start: each service gets its own SERVICE_CLIENT_SECRET and the auth service gets
 * the table of all of them. Deployments set both from their secret store instead, and then
 * nothing is generated.
 */
export function localServiceCredentials(
  services: string[],
  env: Record<string, string | undefined>,
): (service: string) => Record<string, string> {
  if (env.AUTH_SERVICE_CREDENTIALS || env.AUTH_SERVICE_CREDENTIALS_FILE) return () => ({});
  const secrets = new Map(services.map((name) => [name, randomBytes(32).toString('base64url')]));
  const table = [...secrets].map(([name, secret]) => `${name}=${secret}`).join(',');
  return (service) => ({
    SERVICE_CLIENT_SECRET: secrets.get(service) ?? '',
    ...(service === 'auth' ? { AUTH_SERVICE_CREDENTIALS: table } : {}),
  });
}
