import type { FastifyReply } from 'fastify';

/** Adds `name` to the Vary header, keeping what the upstream already listed. */
export function appendVary(reply: FastifyReply, name: string): void {
  const current = reply.getHeader('vary');
  const listed = (Array.isArray(current) ? current.join(',') : String(current ?? ''))
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
  if (listed.includes('*') || listed.some((v) => v.toLowerCase() === name.toLowerCase())) return;
  reply.header('vary', [...listed, name].join(', '));
}
