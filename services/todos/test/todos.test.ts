// Every behaviour on one service per database: an in-memory PGlite costs seconds of CPU to
// start, the largest part of this service's test time, so the suites share it in one process.
import { describe } from 'node:test';
import { crudBehaviours } from './crud.suite.ts';
import { eventBehaviours } from './events.suite.ts';
import { idempotencyBehaviours } from './idempotency.suite.ts';
import { lifecycleBehaviours } from './lifecycle.suite.ts';
import { listBehaviours } from './list.suite.ts';
import { purgeBehaviours } from './purge.suite.ts';
import { databases, sharedTodosService } from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`todos service on ${kind}`, { skip }, () => {
    const svc = sharedTodosService(kind);
    crudBehaviours(svc);
    listBehaviours(svc);
    idempotencyBehaviours(svc, kind);
    lifecycleBehaviours(svc);
    eventBehaviours(svc);
    purgeBehaviours(svc);
  });
}
