// Public API of @strongroom/compliance: the pure, database-free compliance logic — PAN protection
// (detection, keyed tokens, masks), sanctions screening (OFAC SDN lists, normalization, fuzzy scoring),
// the AML rule definitions and their per-row prefilter, and field encryption (AES-256-GCM under a
// versioned key ring, blind index). Where these run against the database (AML statements over the
// sink, retention, legal holds, reports) is libs/pipeline.
export { createPanProtector, maskPan, type PanProtector, type ProtectedPan, type PanKey } from './pan';
export { redactPans as maskPansInText } from '@strongroom/logging';
export { SanctionsIndex, DEFAULT_SCREENING_THRESHOLD, type Screener, type ScreeningResult } from './sanctions/screener';
export { readOfacFile, type ListedName, type ListFileSummary } from './sanctions/sdn-list';
export { normalizeName, nameVariants } from './sanctions/normalize';
export { nameScore, jaroWinkler } from './sanctions/similarity';
export { sanctionsListFiles } from './sanctions/lists';
export {
  AML_RULES,
  amlCandidates,
  rowRuleHits,
  type RowRule,
  type RowRuleHit,
  velocityClustered,
  VelocityRouting,
  DEFAULT_AML_CONFIG,
  resolveAmlConfig,
  highRiskJurisdiction,
  HIGH_RISK_SCORE,
  type AmlConfig,
  type AmlRule,
  type AmlRuleDefinition,
} from './aml/rules';
export {
  encryptField,
  decryptField,
  reencryptField,
  blindIndex,
  isEncrypted,
  keyIdOf,
  parseKeyRing,
  newKeyLine,
  ENCRYPTED_PREFIX,
  type KeyProvider,
} from './crypto/field-crypto';
