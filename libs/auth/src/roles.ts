/** Roles, least to most privileged in operations: viewer reads; operator runs and replays; auditor reads unmasked evidence and verifies; admin does all. */
export const ROLES = ['viewer', 'operator', 'auditor', 'admin'] as const;
export type Role = (typeof ROLES)[number];
