// Every behaviour on one payments service per database, against one real sandbox processor:
// building them costs seconds, the largest part of this file's time.
import { describe } from 'node:test';
import { adapterBehaviours } from './adapter.suite.ts';
import { apiBehaviours } from './api.suite.ts';
import { chargeBehaviours } from './charge.suite.ts';
import { refundBehaviours } from './refund.suite.ts';
import { resilienceBehaviours } from './resilience.suite.ts';
import { databases, paymentsFixture } from './support/harness.ts';

for (const { kind, skip } of databases) {
  describe(`payments service on ${kind}`, { skip }, () => {
    const fx = paymentsFixture(kind);
    chargeBehaviours(fx);
    resilienceBehaviours(fx);
    refundBehaviours(fx);
    apiBehaviours(fx);
    adapterBehaviours(fx);
  });
}
