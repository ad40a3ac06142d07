// Every behaviour on one service per database: an in-memory PGlite costs seconds of CPU to
// start, so the suites share it (and fresh tenants keep them apart).
import { describe } from 'node:test';
import { apiBehaviours } from './api.suite.ts';
import { eventBehaviours } from './events.suite.ts';
import { streamBehaviours } from './stream.suite.ts';
import { databases, sharedNotificationsService } from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`notifications service on ${kind}`, { skip }, () => {
    const svc = sharedNotificationsService(kind);
    eventBehaviours(svc);
    apiBehaviours(svc);
    streamBehaviours(svc);
  });
}
