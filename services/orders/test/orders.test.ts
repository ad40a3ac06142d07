// Every behaviour on one service per database: an in-memory PGlite costs seconds of CPU to
// start, the largest part of this service's test time, so the suites share it in one process.
import { describe } from 'node:test';
import { catalogBehaviours } from './catalog.suite.ts';
import { eventStoreBehaviours } from './event-store.suite.ts';
import { placeBehaviours } from './place.suite.ts';
import { readBehaviours } from './read.suite.ts';
import { sagaBehaviours } from './saga.suite.ts';
import { databases, sharedOrdersService } from './support/harness.ts';
import { timeoutBehaviours } from './timeout.suite.ts';

for (const { kind, skip } of databases) {
  describe(`orders service on ${kind}`, { skip }, () => {
    const svc = sharedOrdersService(kind);
    catalogBehaviours(svc);
    placeBehaviours(svc, kind);
    readBehaviours(svc);
    sagaBehaviours(svc);
    timeoutBehaviours(svc);
    eventStoreBehaviours(svc, kind);
  });
}
