import { type ServerUnaryCall, type sendUnaryData } from '@grpc/grpc-js';
import { METADATA_KEYS } from '@strongroom/contract';
import {
  ACTION_ROLES,
  type Action,
  mayDo,
  bearerToken,
  describeRoles,
  mayCall,
  RPC_ROLES,
  TokenBuckets,
  TokenError,
  verifyBearer,
  type BearerSettings,
  type Role,
} from '@strongroom/auth';
import { ErrorCode, StrongroomError } from '@strongroom/errors';
import { type Logger, newCorrelationId } from '@strongroom/logging';
import { isDatabaseOutage } from '@strongroom/pipeline';
import { BreakerOpenError, POSTGRES_POLICY, type Breaker } from '@strongroom/resilience';
import { type DenialLog } from '../audit/denial-log';
import { callBudgetMs, withinBudget } from './deadlines';
import { toServiceError } from './status-map';

/**
 * The engine's one gRPC call scope: who is calling — verified from the caller's bearer token, never from
 * a header that names an actor —, a logger scoped to the call (method, correlation id, actor), the
 * deadline every unary call must carry, the database breaker its work goes through, and the one mapping
 * of errors to status. Every service's handlers are built on it; health and reflection are not.
 */

type CallMetadata = {
  metadata: { get(k: string): unknown[] };
  /** The TLS peer (grpc-js server calls); its certificate was verified against the client CA. */
  getAuthContext?(): { sslPeerCertificate?: { subject?: { CN?: string | string[] } } } | null;
  /** "ipv4:127.0.0.1:51234" (grpc-js server calls). */
  getPeer?(): string;
};

/** How bearer tokens are verified (set once at start from the engine config, like the deadline policy). */
let verifier: BearerSettings | undefined;

/** Client certificate CN → roles (mutual TLS; ENGINE_TLS_CLIENT_PRINCIPALS). */
let certificatePrincipals: ReadonlyMap<string, readonly Role[]> = new Map();

export function configureAuthentication(
  settings: BearerSettings,
  denialLog?: DenialLog,
  clientPrincipals: ReadonlyMap<string, readonly Role[]> = new Map(),
  /** Calls without a valid credential allowed per client address and minute (0: no limit). */
  unauthenticatedPerMinute = 0,
): void {
  verifier = settings;
  denials = denialLog;
  certificatePrincipals = clientPrincipals;
  unauthenticated = new TokenBuckets(unauthenticatedPerMinute);
}

/**
 * Calls without a valid credential, per client address: beyond the limit every call from that address
 * that a mapped client certificate does not identify is refused with RESOURCE_EXHAUSTED before its token
 * is even looked at — so guessing tokens (or a secret) online is slow and cheap to refuse. Valid calls
 * take nothing from the bucket; a legitimate client sharing an attacker's address waits with it.
 */
let unauthenticated = new TokenBuckets(0);

/** Where refused calls are counted for the audit chain (set at start with the verifier). */
let denials: DenialLog | undefined;
const DENIAL_CODES: ReadonlySet<string> = new Set([
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.PERMISSION_DENIED,
  ErrorCode.SOURCE_OUTSIDE_ROOTS,
]);

/** PERMISSION_DENIED unless the caller may do `action` (a rule inside an RPC; ACTION_ROLES). */
export function requireAction(caller: Caller, action: Action, what: string): void {
  if (!mayDo(caller.roles, action))
    throw new StrongroomError(ErrorCode.PERMISSION_DENIED, `${what} needs ${describeRoles(ACTION_ROLES[action])}`);
}

/**
 * Logs a refused call at warn and counts it for the audit chain (rate-bounded, DenialLog), when `err` is
 * a denial: no or a bad credential, a role the matrix does not allow, a source outside the roots.
 */
export function noteDenial(
  err: unknown,
  call: CallMetadata & { getPeer(): string },
  rpc: string,
  log: Logger,
  actor?: string,
): void {
  if (!(err instanceof StrongroomError) || !DENIAL_CODES.has(err.code)) return;
  const named = typeof err.details?.['actor'] === 'string' ? (err.details['actor'] as string) : undefined;
  const who = actor ?? named ?? `address:${peerAddress(call.getPeer())}`;
  log.warn('call:refused', { code: err.code, reason: err.message, who });
  denials?.record({ who, what: rpc, code: err.code, reason: err.message, via: 'engine' });
}

/** "ipv4:127.0.0.1:51234" → "127.0.0.1"; "ipv6:[::1]:51234" → "::1". */
function peerAddress(peer: string): string {
  const bare = peer.replace(/^ipv[46]:/, '');
  const v6 = /^\[([^\]]+)\]/.exec(bare);
  if (v6) return v6[1] as string;
  return bare.replace(/:\d+$/, '');
}

/** Who is calling: the actor the audit chain records, and the roles that decide what the call may do. */
export interface Caller {
  actor: string;
  roles: readonly Role[];
}

/**
 * The verified caller of a call: `user:<sub>` of the bearer token in the `authorization` metadata, or
 * `cert:<CN>` of a mapped client certificate when there is no token, allowed to call `rpc` by the role
 * matrix. No credential, or a token that does not verify, is UNAUTHENTICATED; a role the matrix does not
 * allow for `rpc` is PERMISSION_DENIED.
 */
export async function authenticateCall(call: CallMetadata, rpc: string): Promise<Caller> {
  if (!verifier) throw new Error('the engine has no token verification configured');
  const address = call.getPeer ? peerAddress(call.getPeer()) : 'unknown';
  // a peer whose client certificate maps to a principal (the gateway, with mutual TLS) is never limited:
  // TLS verified it already, and it carries many people's calls
  const cn = certificateCn(call);
  const limited = cn === undefined || !certificatePrincipals.has(cn);
  try {
    return await identify(call, rpc, verifier, address, limited);
  } catch (err) {
    if (limited && err instanceof StrongroomError && err.code === ErrorCode.UNAUTHENTICATED) {
      const wait = unauthenticated.take(limitKey(address));
      if (wait !== undefined) throw tooManyUnauthenticated(address, wait, rpc);
    }
    throw err;
  }
}

/** The bucket of an address: an IPv4 address, or an IPv6 address's /64 (one host may hold a whole /64). */
export function limitKey(address: string): string {
  if (!address.includes(':')) return `address:${address}`;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::')
    ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right]
    : left;
  return `address:${groups
    .slice(0, 4)
    .map((g) => g.replace(/^0+(?=.)/, '').toLowerCase())
    .join(':')}::/64`;
}

/** RESOURCE_EXHAUSTED for an address over its limit; counted for the audit chain (not logged per call). */
function tooManyUnauthenticated(address: string, wait: number, rpc: string): StrongroomError {
  const reason = 'too many calls without a valid credential';
  denials?.record({ who: limitKey(address), what: rpc, code: ErrorCode.RESOURCE_EXHAUSTED, reason, via: 'engine' });
  return new StrongroomError(
    ErrorCode.RESOURCE_EXHAUSTED,
    `too many calls without a valid credential from ${address}; retry in ${wait} s`,
    { retryable: true },
  );
}

async function identify(
  call: CallMetadata,
  rpc: string,
  verifier: BearerSettings,
  address: string,
  limited: boolean,
): Promise<Caller> {
  const header = call.metadata.get('authorization')[0];
  const token = bearerToken(typeof header === 'string' ? header : undefined);
  const cn = token ? undefined : certificateCn(call);
  const roles = cn === undefined ? undefined : certificatePrincipals.get(cn);
  // an address over its limit of calls without a valid credential is not heard further (a peer with a
  // mapped client certificate, verified by TLS already, always is)
  const wait = limited ? unauthenticated.waitOf(limitKey(address)) : undefined;
  if (wait !== undefined) throw tooManyUnauthenticated(address, wait, rpc);
  if (!token) {
    // no token: a verified client certificate that names a configured principal identifies the caller
    if (roles) {
      if (!mayCall(roles, rpc))
        throw new StrongroomError(ErrorCode.PERMISSION_DENIED, `${rpc} needs ${describeRoles(RPC_ROLES[rpc] ?? [])}`, {
          details: { actor: `cert:${cn}` },
        });
      return { actor: `cert:${cn}`, roles };
    }
    throw new StrongroomError(ErrorCode.UNAUTHENTICATED, 'a bearer token is required (authorization: Bearer <token>)');
  }
  try {
    const principal = await verifyBearer(token, verifier);
    if (!mayCall(principal.roles, rpc)) {
      throw new StrongroomError(ErrorCode.PERMISSION_DENIED, `${rpc} needs ${describeRoles(RPC_ROLES[rpc] ?? [])}`, {
        details: { actor: `user:${principal.sub}` },
      });
    }
    return { actor: `user:${principal.sub}`, roles: principal.roles };
  } catch (err) {
    if (err instanceof TokenError) {
      throw new StrongroomError(ErrorCode.UNAUTHENTICATED, `the bearer token was refused (${err.reason})`);
    }
    throw err;
  }
}

function certificateCn(call: CallMetadata): string | undefined {
  const cn = call.getAuthContext?.()?.sslPeerCertificate?.subject?.CN;
  return Array.isArray(cn) ? undefined : cn; // a certificate with several CNs names nobody
}

export function callLogger(logger: Logger, call: CallMetadata, method: string, actor?: string): Logger {
  const cid = call.metadata.get(METADATA_KEYS.correlationId)[0];
  return logger.child({
    component: 'grpc',
    method,
    correlationId: typeof cid === 'string' ? cid : newCorrelationId(),
    ...(actor ? { actor } : {}),
  });
}

/** Authenticates a streaming call: its actor and logger, or the UNAUTHENTICATED error (logged at warn) to end it with. */
export async function streamScope(
  logger: Logger,
  call: CallMetadata & { getPeer(): string },
  method: string,
): Promise<{ actor: string; caller: Caller; log: Logger } | { error: unknown }> {
  try {
    const caller = await authenticateCall(call, method);
    return { actor: caller.actor, caller, log: callLogger(logger, call, method, caller.actor) };
  } catch (error) {
    noteDenial(error, call, method, callLogger(logger, call, method));
    return { error };
  }
}

/** What every unary handler of a service shares: its logger and the database breaker its work goes through. */
export interface CallScope {
  logger: Logger;
  /** The postgres breaker. While it is open, calls that need the database fail at once (UNAVAILABLE + retry hint). */
  db?: Breaker;
}

/**
 * Wraps a unary handler: one place that enforces the deadline, sends the work through the database
 * breaker (unless `database: false`: the call must answer while the database is away), and maps errors
 * to status.
 */
export function unary<Req, Res>(
  scope: CallScope,
  method: string,
  fn: (req: Req, log: Logger, actor: string, caller: Caller) => Promise<Res>,
  options: { database?: boolean } = {},
) {
  const { logger, db } = scope;
  const guarded =
    db && options.database !== false
      ? (work: () => Promise<Res>) => db.call(work).catch((err: unknown) => asUnavailable(err, db))
      : (work: () => Promise<Res>) => work();
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    let log = callLogger(logger, call, method);
    let caller: string | undefined;
    Promise.resolve()
      .then(async () => {
        const who = await authenticateCall(call, method); // before anything else: no identity, no work
        caller = who.actor;
        log = callLogger(logger, call, method, who.actor);
        const budget = callBudgetMs(call.getDeadline()); // no deadline: refused before any work
        return withinBudget(
          guarded(() => fn(call.request, log, who.actor, who)),
          budget,
        );
      })
      .then(
        (res) => callback(null, res),
        (err) => {
          noteDenial(err, call, method, log, caller);
          callback(toServiceError(err, log, method));
        },
      );
  };
}

/** A database outage (open breaker, lost or silent link) becomes a retryable DATABASE_UNAVAILABLE with a retry hint. */
function asUnavailable(err: unknown, db: Breaker): never {
  if (!isDatabaseOutage(err)) throw err;
  const open = err instanceof BreakerOpenError;
  throw new StrongroomError(
    ErrorCode.DATABASE_UNAVAILABLE,
    open
      ? `database unavailable (circuit breaker ${db.name} is open); retry in ${Math.ceil(POSTGRES_POLICY.resetTimeoutMs / 1000)} s`
      : 'database unavailable',
    {
      retryable: true,
      cause: err,
      details: { retryAfterMs: POSTGRES_POLICY.resetTimeoutMs },
    },
  );
}

/** A required request field, or INVALID_ARGUMENT naming it. */
export function required(value: string, name: string): string {
  if (!value) throw new StrongroomError(ErrorCode.INVALID_ARGUMENT, `${name} is required`);
  return value;
}
