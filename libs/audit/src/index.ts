// Public API of @strongroom/audit: the tamper-evident hash chain — canonical encoding, append inside
// the caller's transaction (serialized: one chain, no fork, no gap), Ed25519-signed checkpoints, and
// verification from genesis, from a trusted checkpoint or against exported checkpoints.
export { canonicalJson } from './canonical';
export {
  appendAudit,
  appendAuditStatement,
  entryHash,
  GENESIS_HASH,
  AUDIT_LOCK_KEY,
  type AuditEntryInput,
  type AuditEntry,
  type SqlExec,
} from './chain';
export {
  loadSigningKey,
  signCheckpoint,
  checkpointSignatureValid,
  createCheckpoint,
  listCheckpoints,
  exportCheckpoint,
  entryHashPrefixes,
  ENTRY_HASH_PREFIX,
  parseExportedCheckpoint,
  keyIdOf,
  type Checkpoint,
  type ExportedCheckpoint,
  type SigningKey,
} from './checkpoint';
export { verifyChain, type VerifyResult, type VerifyOptions, type TamperKind } from './verify';
