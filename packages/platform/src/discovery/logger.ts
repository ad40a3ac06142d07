/** What discovery logs through: pino and Fastify's logger fit it. */
export interface DiscoveryLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}
