// Public API of @strongroom/audit: the tamper-evident hash chain — canonical encoding, append inside
// the caller's transaction (serialized: one chain, no fork, no gap), and verification from genesis.
// Signed checkpoints and incremental verification come with the audit issue.
export { canonicalJson } from './canonical';
export { appendAudit, entryHash, GENESIS_HASH, AUDIT_LOCK_KEY, type AuditEntryInput, type AuditEntry, type SqlExec } from './chain';
export { verifyChain, type VerifyResult } from './verify';
