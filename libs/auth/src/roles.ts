/** Roles of people, least to most privileged in operations: viewer reads; operator runs and replays; auditor reads unmasked evidence and verifies; admin does all. */
export const PERSON_ROLES = ['viewer', 'operator', 'auditor', 'admin'] as const;
/**
 * Roles of services: the gateway reports the requests it refused, for the audit chain; a consumer (a
 * downstream system, or a person in its place) reads published rows with RESTRICTED values decrypted. Neither
 * may do anything else.
 */
export const SERVICE_ROLES = ['gateway', 'consumer'] as const;
export const ROLES = [...PERSON_ROLES, ...SERVICE_ROLES] as const;
export type Role = (typeof ROLES)[number];
