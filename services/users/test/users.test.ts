// Every behaviour on one service per database: an in-memory PGlite costs seconds of CPU to
// start, the largest part of this service's test time, so the suites share it in one process.
import { describe } from 'node:test';
import { adminBehaviours } from './admin.suite.ts';
import { eventBehaviours } from './events.suite.ts';
import { internalBehaviours } from './internal.suite.ts';
import { meBehaviours } from './me.suite.ts';
import { databases, sharedUsersService } from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`users service on ${kind}`, { skip }, () => {
    const svc = sharedUsersService(kind);
    meBehaviours(svc);
    adminBehaviours(svc);
    eventBehaviours(svc);
    internalBehaviours(svc);
  });
}
