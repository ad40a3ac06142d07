import type { TestContext } from 'node:test';
import { type TestTokenIssuer, testTokenIssuer } from '../../src/testing/index.ts';

export {
  createSigningKey,
  TEST_TOKEN_AUDIENCE as AUDIENCE,
  TEST_TOKEN_ISSUER as ISSUER,
} from '../../src/testing/index.ts';
export type Issuer = TestTokenIssuer;

/** The kit's test token issuer, closed after the test. */
export async function startIssuer(t: Pick<TestContext, 'after'>): Promise<Issuer> {
  const issuer = await testTokenIssuer();
  t.after(() => issuer.close());
  return issuer;
}
