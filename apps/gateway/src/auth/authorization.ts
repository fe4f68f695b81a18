// Authorization: which roles may call which root field. The table is data (it grows into the role
// matrix), and it is deny-by-default: a root resolver without an entry stops the gateway at startup.
import { forbidden } from '../errors/gateway-error';
import { type Actor, ROLES, type Role } from './authenticate';

/** Roles allowed per root field. Nested fields inherit the decision made for their root field. */
export type RootFieldPolicy = Readonly<Record<string, Readonly<Record<string, readonly Role[]>>>>;

const ANY_ROLE: readonly Role[] = ROLES;
const OPERATORS: readonly Role[] = ['operator', 'admin'];
const AUDITORS: readonly Role[] = ['auditor', 'admin'];
const STAFF: readonly Role[] = ['operator', 'auditor', 'admin'];
const ADMINS: readonly Role[] = ['admin'];

/**
 * The role matrix (docs/gateway.md): viewers read jobs, runs and breakers; operators also run,
 * control runs and work the dead-letter queue; auditors read the DLQ, alerts (unmasked), the audit
 * chain, holds and reports, and move alerts and holds; admins may do everything.
 */
export const ROOT_FIELD_POLICY: RootFieldPolicy = Object.freeze({
  Query: {
    jobs: ANY_ROLE,
    job: ANY_ROLE,
    runs: ANY_ROLE,
    run: ANY_ROLE,
    breakers: ANY_ROLE,
    deadLetters: STAFF,
    alerts: STAFF,
    auditEntries: AUDITORS,
    auditVerification: AUDITORS,
    legalHolds: AUDITORS,
    complianceReport: AUDITORS,
    keyRotation: ADMINS,
  },
  Mutation: {
    createJob: OPERATORS,
    runJob: OPERATORS,
    pauseRun: OPERATORS,
    resumeRun: OPERATORS,
    cancelRun: OPERATORS,
    replayDeadLetters: OPERATORS,
    discardDeadLetters: OPERATORS,
    escalateAlert: AUDITORS,
    closeAlert: AUDITORS,
    placeLegalHold: AUDITORS,
    releaseLegalHold: AUDITORS,
    purgeExpired: ADMINS,
    rotateFieldKeys: ADMINS,
  },
  Subscription: { runProgress: ANY_ROLE },
});

/** Throws FORBIDDEN unless the actor holds one of `allowed`. */
export function authorize(actor: Actor, allowed: readonly Role[], what: string): void {
  if (actor.roles.some((role) => allowed.includes(role))) return;
  const need = allowed.length === ROLES.length ? 'any role' : `one of the roles ${allowed.join(', ')}`;
  throw forbidden(`${what} needs ${need}`);
}

type AnyResolver = (parent: unknown, args: unknown, context: { actor: Actor }, info: unknown) => unknown;
type ResolverMap = Record<string, object>;

/**
 * Returns `resolvers` with every root field of the policy's types (Query, Mutation, …) wrapped in an
 * authorization check. Fails if a root resolver has no policy entry or an entry has no resolver, so
 * the table and the schema cannot drift apart silently.
 */
export function withAuthorization<R extends ResolverMap>(resolvers: R, policy: RootFieldPolicy = ROOT_FIELD_POLICY): R {
  const out: ResolverMap = { ...resolvers };
  for (const typeName of ['Query', 'Mutation', 'Subscription']) {
    const fields = resolvers[typeName] as Record<string, unknown> | undefined;
    const rules = policy[typeName] ?? {};
    if (fields === undefined) {
      if (Object.keys(rules).length > 0)
        throw new Error(`authorization policy names ${typeName} but it has no resolvers`);
      continue;
    }
    for (const field of Object.keys(rules)) {
      if (!(field in fields)) throw new Error(`authorization policy names ${typeName}.${field}, which has no resolver`);
    }
    const wrapped: Record<string, unknown> = {};
    for (const [field, resolver] of Object.entries(fields)) {
      const allowed = rules[field];
      if (allowed === undefined) throw new Error(`${typeName}.${field} has no authorization policy`);
      if (
        typeName === 'Subscription' &&
        typeof resolver === 'object' &&
        resolver !== null &&
        typeof (resolver as { subscribe?: unknown }).subscribe === 'function'
      ) {
        const sub = resolver as { subscribe: AnyResolver };
        wrapped[field] = {
          ...sub,
          subscribe: (parent: unknown, args: unknown, context: { actor: Actor }, info: unknown) => {
            authorize(context.actor, allowed, `${typeName}.${field}`);
            return sub.subscribe(parent, args, context, info);
          },
        };
        continue;
      }
      if (typeof resolver !== 'function') throw new Error(`${typeName}.${field} must be a plain resolver function`);
      const resolve = resolver as AnyResolver;
      wrapped[field] = (parent: unknown, args: unknown, context: { actor: Actor }, info: unknown) => {
        authorize(context.actor, allowed, `${typeName}.${field}`);
        return resolve(parent, args, context, info);
      };
    }
    out[typeName] = wrapped;
  }
  return out as R;
}
