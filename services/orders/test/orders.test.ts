// Every behaviour on one service per database: an in-memory PGlite costs seconds of CPU to
// start, the largest part of this service's test time, so the suites share it in one process.
import { describe } from 'node:test';
import { placeBehaviours } from './place.suite.ts';
import { databases, sharedOrdersService } from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`orders service on ${kind}`, { skip }, () => {
    const svc = sharedOrdersService(kind);
    placeBehaviours(svc);
  });
}
