// Public API of @strongroom/testing (tests only): the PostgreSQL harness, per-file databases cloned
// from a migrated template, and real engine processes on port 0.
export { createTestDatabase, type TestDatabase } from './test-database';
export {
  startEngineProcess,
  exited,
  fakeClockAvailable,
  testToken,
  TEST_JWT_SECRET,
  type EngineProcess,
  type EngineProcessOptions,
} from './engine-process';
export { writeTempFile, makeTempDir } from './files';
export { unaryCall } from './grpc-call';
export { IngestStream } from './ingest-stream';
export { startFaultProxy, type FaultProxy, type FaultMode } from './fault-proxy';
export {
  lookalikeSpoof,
  withDiacritics,
  reorderName,
  ORDINARY_FIRST_NAMES,
  ORDINARY_LAST_NAMES,
  ORDINARY_COMPANIES,
} from './name-variants';
export { runCli } from './cli-process';
export { findLuhnValidPans } from './pan-scan';
export { corpusDir } from './corpus';
export { holdTableLock, querySql, querySession, waitForLockWaiter } from './sql';
export { makeTestIdp } from './jwks';
export { makeTestPki } from './pki';
export { processRss, promSample } from './prom';
export { childBaseEnv } from './harness-env';
export { codeIn, docTable } from './doc-table';
