// Every behaviour on one service per database: an in-memory PGlite costs seconds of CPU to
// start, so the suites share it in one process and each uses fresh tenants.
import { describe } from 'node:test';
import { accessBehaviours } from './access.suite.ts';
import { batchBehaviours } from './batches.suite.ts';
import { deliveryBehaviours } from './delivery.suite.ts';
import { rebuildBehaviours } from './rebuild.suite.ts';
import { scenarioBehaviours } from './scenario.suite.ts';
import { databases, sharedAnalyticsService } from './support/harness.ts';
import { validationBehaviours } from './validation.suite.ts';

for (const { kind, skip } of databases) {
  describe(`analytics service on ${kind}`, { skip }, () => {
    const svc = sharedAnalyticsService(kind);
    scenarioBehaviours(svc);
    deliveryBehaviours(svc);
    accessBehaviours(svc);
    validationBehaviours(svc);
    rebuildBehaviours(svc);
    batchBehaviours(svc);
  });
}
