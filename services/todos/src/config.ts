import { Type } from 'typebox';

export const todosConfig = Type.Object({
  TODOS_IDEMPOTENCY_KEY_TTL_HOURS: Type.Integer({
    minimum: 1,
    maximum: 24 * 30,
    default: 24,
    description:
      'How long an Idempotency-Key of POST /todos replays its first response; afterwards the key is new again',
  }),
  TODOS_RETENTION_DAYS: Type.Integer({
    minimum: 1,
    default: 30,
    description:
      'Days a deleted todo can still be restored; POST /internal/todos/purge-deleted (the worker, daily) then removes it for good',
  }),
  TODOS_CACHE_TTL_MS: Type.Integer({
    minimum: 1000,
    default: 60_000,
    description:
      'Longest time a single todo stays in the read cache; writes invalidate it at once, this only bounds memory and safety nets',
  }),
});

export type TodosConfigProperties = (typeof todosConfig)['properties'];
