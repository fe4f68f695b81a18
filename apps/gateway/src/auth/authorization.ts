// Authorization: which roles may call which root field. The table is data (it grows into the role
// matrix), and it is deny-by-default: a root resolver without an entry stops the gateway at startup.
import { forbidden } from '../errors/gateway-error';
import { describeRoles, ROLES, RPC_ROLES } from '@strongroom/auth';
import { type Actor, type Role } from './authenticate';

/** Roles allowed per root field. Nested fields inherit the decision made for their root field. */
export type RootFieldPolicy = Readonly<Record<string, Readonly<Record<string, readonly Role[]>>>>;

/**
 * The engine RPC behind each root field. A field's roles are that RPC's in the one role matrix
 * (`RPC_ROLES` in libs/auth), which the engine enforces too: the two edges cannot disagree.
 */
export const ROOT_FIELD_RPC = Object.freeze({
  Query: {
    jobs: 'ListJobs',
    job: 'GetJob',
    runs: 'ListRuns',
    run: 'GetRun',
    breakers: 'ListBreakers',
    runPartitions: 'ListRunPartitions',
    replicas: 'ListReplicas',
    deadLetters: 'ListDeadLetters',
    deadLetterReasons: 'CountDeadLetters',
    alerts: 'ListAlerts',
    auditEntries: 'ListEntries',
    auditVerification: 'Verify',
    auditChain: 'GetChainStatus',
    legalHolds: 'ListLegalHolds',
    complianceReport: 'GetReport',
    keyRotation: 'GetKeyRotation',
    approvals: 'ListApprovals',
  },
  Mutation: {
    createJob: 'CreateJob',
    runJob: 'RunJob',
    pauseRun: 'PauseRun',
    resumeRun: 'ResumeRun',
    cancelRun: 'CancelRun',
    replayDeadLetters: 'ReplayDeadLetters',
    discardDeadLetters: 'DiscardDeadLetters',
    escalateAlert: 'TransitionAlert',
    closeAlert: 'TransitionAlert',
    placeLegalHold: 'PlaceLegalHold',
    releaseLegalHold: 'ReleaseLegalHold',
    purgeExpired: 'PurgeExpired',
    rotateFieldKeys: 'RotateFieldKeys',
    decideApproval: 'DecideApproval',
    revealValue: 'RevealValue',
  },
  Subscription: { runProgress: 'WatchRun' },
} as const);

/** Root fields that call no RPC: what callers may know about themselves (every role). */
const SELF_FIELDS: RootFieldPolicy = { Query: { me: ROLES } };

/** Roles allowed per root field, from the RPC it calls (nested fields inherit their root field's decision). */
export const ROOT_FIELD_POLICY: RootFieldPolicy = Object.freeze(
  Object.fromEntries(
    Object.entries(ROOT_FIELD_RPC).map(([type, fields]) => [
      type,
      {
        ...Object.fromEntries(
          Object.entries(fields).map(([field, rpc]) => {
            const roles = RPC_ROLES[rpc];
            if (!roles) throw new Error(`${type}.${field} calls ${rpc}, which the role matrix does not name`);
            return [field, roles];
          }),
        ),
        ...SELF_FIELDS[type],
      },
    ]),
  ),
);

/**
 * The root fields (`Mutation.pauseRun`, …) a caller with `roles` may use: what a frontend shows or hides,
 * decided by the same policy that refuses the call.
 */
export function rootFieldsFor(roles: readonly Role[], policy: RootFieldPolicy = ROOT_FIELD_POLICY): string[] {
  return Object.entries(policy).flatMap(([type, fields]) =>
    Object.entries(fields)
      .filter(([, allowed]) => roles.some((r) => allowed.includes(r)))
      .map(([field]) => `${type}.${field}`),
  );
}

/** Throws FORBIDDEN unless the actor holds one of `allowed`. */
export function authorize(actor: Actor, allowed: readonly Role[], what: string): void {
  if (actor.roles.some((role) => allowed.includes(role))) return;
  throw forbidden(`${what} needs ${describeRoles(allowed)}`);
}

type DeniableContext = { actor: Actor; denied?: (what: string, reason: string) => void };
type AnyResolver = (parent: unknown, args: unknown, context: DeniableContext, info: unknown) => unknown;

/** authorize(), and a refusal is recorded through the context (logged at warn, audited). */
function authorizeIn(context: DeniableContext, allowed: readonly Role[], what: string): void {
  try {
    authorize(context.actor, allowed, what);
  } catch (err) {
    context.denied?.(what, (err as Error).message);
    throw err;
  }
}
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
          subscribe: (parent: unknown, args: unknown, context: DeniableContext, info: unknown) => {
            authorizeIn(context, allowed, `${typeName}.${field}`);
            return sub.subscribe(parent, args, context, info);
          },
        };
        continue;
      }
      if (typeof resolver !== 'function') throw new Error(`${typeName}.${field} must be a plain resolver function`);
      const resolve = resolver as AnyResolver;
      wrapped[field] = (parent: unknown, args: unknown, context: DeniableContext, info: unknown) => {
        authorizeIn(context, allowed, `${typeName}.${field}`);
        return resolve(parent, args, context, info);
      };
    }
    out[typeName] = wrapped;
  }
  return out as R;
}
