export { deleteConsumerGroups } from './consumer-groups.ts';
export { eventually, outboxRows, watchBus } from './events.ts';
export {
  type Infrastructure,
  infrastructure,
  needs,
  probe,
  testPostgresUrl,
} from './infrastructure.ts';
export {
  freePort,
  NATS_SERVER,
  natsServerMissing,
  type PrivateNats,
  startPrivateNats,
} from './private-nats.ts';
export {
  buildTestService,
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
  type TestServiceOptions,
} from './test-service.ts';
export {
  createSigningKey,
  type SigningKey,
  type SignOptions,
  signAccessToken,
  TEST_TOKEN_AUDIENCE,
  TEST_TOKEN_ISSUER,
  type TestCaller,
  type TestTokenIssuer,
  testTokenIssuer,
} from './token-issuer.ts';
export {
  expectTrace,
  findSpans,
  isDescendant,
  newTraceparent,
  type SpanExpectation,
  sameTrace,
} from './traces.ts';
