/** Postgres identifiers derived from a service name: `order-history` → schema `order_history`. */
export function schemaName(service: string): string {
  const name = service.toLowerCase().replace(/[^a-z0-9_]/g, '_');
  if (!/^[a-z_][a-z0-9_]{0,47}$/.test(name))
    throw new Error(`Service name ${service} cannot name a schema`);
  return name;
}

/** The role a service's queries run as: it owns the service's schema and nothing else. */
export function roleName(service: string): string {
  return `lattice_${schemaName(service)}`;
}

export function quoteIdent(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** int8 as a number while it fits, else a bigint: the same shape from pg and from PGlite. */
export function parseInt8(value: string): number | bigint {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : BigInt(value);
}
