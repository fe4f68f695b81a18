/** Roles of people, least to most privileged in operations: viewer reads; operator runs and replays; auditor reads unmasked evidence and verifies; admin does all. */
export const PERSON_ROLES = ['viewer', 'operator', 'auditor', 'admin'] as const;
/** Roles of services: the gateway reports the requests it refused, for the audit chain, and may do nothing else. */
export const SERVICE_ROLES = ['gateway'] as const;
export const ROLES = [...PERSON_ROLES, ...SERVICE_ROLES] as const;
export type Role = (typeof ROLES)[number];
