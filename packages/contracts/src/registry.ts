import type { EventContract } from './contract.ts';
import { authContracts } from './events/auth.ts';
import { ordersContracts } from './events/orders.ts';
import { paymentsContracts } from './events/payments.ts';
import { todosContracts } from './events/todos.ts';
import { usersContracts } from './events/users.ts';

/** Every published event type. A new version is a new entry; an old entry never changes incompatibly. */
export const publishedContracts: readonly EventContract[] = [
  ...authContracts,
  ...usersContracts,
  ...todosContracts,
  ...ordersContracts,
  ...paymentsContracts,
];

const registry = new Map<string, EventContract>(publishedContracts.map((c) => [c.type, c]));

/** The contract of an event type, or undefined when the type is unknown. */
export function eventContract(type: string): EventContract | undefined {
  return registry.get(type);
}

/** Every registered contract: the published ones, then those added with `registerContract`. */
export function eventContracts(): EventContract[] {
  return [...registry.values()];
}

/**
 * Adds a contract at run time; tests use it for their own event types. Registering the same
 * type twice with a different schema is refused, as a silent replacement would change what
 * every bus in the process accepts.
 */
export function registerContract(contract: EventContract): void {
  const existing = registry.get(contract.type);
  if (existing && JSON.stringify(existing.schema) !== JSON.stringify(contract.schema)) {
    throw new Error(`event type ${contract.type} is already registered with another schema`);
  }
  registry.set(contract.type, contract);
}
