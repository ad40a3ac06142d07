import type { TodoRow } from '../data/todos.ts';
import { TodosErrors } from '../errors.ts';

/** What an If-Match header asks: any current version (`*`), or one of these versions. */
export type Precondition = { kind: 'any' } | { kind: 'versions'; versions: number[] };

/** The write goes ahead only if the todo is still at a version the client has seen. */
export function checkPrecondition(precondition: Precondition | undefined, current: TodoRow): void {
  if (!precondition || precondition.kind === 'any') return;
  if (precondition.versions.includes(current.version)) return;
  throw TodosErrors.preconditionFailed(
    `The todo is at version ${current.version} now; GET it again, then reapply your change`,
    { headers: { etag: `"${current.version}"` } },
  );
}
