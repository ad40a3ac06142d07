/**
 * Orchestrator probes and Prometheus scrapes: they arrive every few seconds and say nothing of
 * the service's work, so they get no log line, no span and no RED series. Takes a URL path or a
 * route template.
 */
export function isProbe(path: string): boolean {
  return path.startsWith('/health/') || path === '/metrics';
}
