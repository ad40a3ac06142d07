// Every behaviour on one service per database: an in-memory PGlite costs seconds of CPU to
// start, so the suites share it in one process and each uses fresh tenants.
import { describe } from 'node:test';
import { rebuildBehaviours } from './rebuild.suite.ts';
import { scenarioBehaviours } from './scenario.suite.ts';
import { databases, sharedAnalyticsService } from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`analytics service on ${kind}`, { skip }, () => {
    const svc = sharedAnalyticsService(kind);
    scenarioBehaviours(svc);
    rebuildBehaviours(svc);
  });
}
