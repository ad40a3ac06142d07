export {
  type Infrastructure,
  infrastructure,
  needs,
  probe,
  testPostgresUrl,
} from './infrastructure.ts';
export {
  buildTestService,
  createTestDatabase,
  type DatabaseKind,
  type TestDatabase,
  type TestServiceOptions,
} from './test-service.ts';
