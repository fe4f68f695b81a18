// Per-request context: who is calling (authenticated actor), under which correlation id, and the
// request-scoped engine facade (memoized reads). Built once per HTTP request.
import { type Breaker } from '@strongroom/resilience';
import { type JobServiceClient } from '@strongroom/contract';
import { type Logger, newCorrelationId } from '@strongroom/logging';
import { type Actor, type AuthSettings, authenticate } from './auth/authenticate';
import { type DenialSink } from './auth/denial-report';
import { type RateLimiter } from './auth/rate-limit';
import { GatewayError } from './errors/gateway-error';
import { type RequestEngine, createRequestEngine } from './engine/engine-client';
import { type EngineClients, type EngineServices, createEngineServices } from './engine/engine-services';

export interface GatewayContext {
  readonly correlationId: string;
  readonly actor: Actor;
  readonly engine: RequestEngine;
  /** The engine's other services (DLQ, audit, breakers, compliance, run control). */
  readonly services: EngineServices;
  /** Scoped with `correlationId` and `actor`. */
  readonly logger: Logger;
  /** Records a refusal of this caller by the gateway itself (403 on a field): logged at warn and audited. */
  readonly denied: (what: string, reason: string) => void;
}

/** Process-wide things every request context is built from. */
export interface ContextDeps {
  readonly client: JobServiceClient;
  /** Clients of the other engine services; absent in tests that script JobService only. */
  readonly clients?: Omit<EngineClients, 'jobs'>;
  /** Circuit breaker around the engine (process-wide): an unreachable engine fails fast. */
  readonly breaker?: Breaker;
  readonly auth: AuthSettings;
  readonly engineDeadlineMs: number;
  readonly logger: Logger;
  /** Per-subject request rate limit (checked after authentication). */
  readonly rateLimiter?: RateLimiter;
  /** Per-address limit of requests without a valid token (429 instead of 401 beyond it). */
  readonly unauthenticatedLimiter?: RateLimiter;
  /** Where refusals are counted for the audit chain (reported to the engine). */
  readonly denials?: DenialSink;
}

/** Incoming correlation ids are accepted only in this shape (no log injection, fits gRPC metadata). */
const CORRELATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's `x-correlation-id` when well-formed, otherwise a new one. */
export function correlationIdFrom(header: string | readonly string[] | undefined): string {
  const value = Array.isArray(header) ? header[0] : header;
  return typeof value === 'string' && CORRELATION_ID.test(value) ? value : newCorrelationId();
}

/**
 * Authenticates the request and builds its context. Throws a GatewayError (UNAUTHENTICATED, HTTP 401)
 * when authentication fails; Apollo then answers without running the operation.
 */
export async function buildContext(
  deps: ContextDeps,
  request: {
    correlationId: string;
    authorization: string | undefined;
    /** The client's IP address (the socket's; forwarded-for headers are not trusted). */
    clientAddress?: string | undefined;
    /** How the refusal is named in the audit chain: "graphql" (HTTP, 401) or "graphql-ws" (4403). */
    transport?: 'graphql' | 'graphql-ws';
  },
): Promise<GatewayContext> {
  let actor: Actor;
  try {
    actor = await authenticate(request.authorization, deps.auth);
  } catch (err) {
    refuseUnauthenticated(deps, request, err);
    throw err;
  }
  deps.rateLimiter?.take(actor.sub);
  const logger = deps.logger.child({ correlationId: request.correlationId, actor: actor.sub });
  // the caller's token goes to the engine, which verifies it and records `user:<sub>` in every audit entry
  const callCtx = {
    correlationId: request.correlationId,
    actor: `user:${actor.sub}`,
    ...(request.authorization ? { authorization: request.authorization } : {}),
  };
  const clientOptions = {
    deadlineMs: deps.engineDeadlineMs,
    logger: deps.logger,
    ...(deps.breaker ? { breaker: deps.breaker } : {}),
  };
  const engine = createRequestEngine(deps.client, clientOptions, callCtx);
  const services = deps.clients
    ? createEngineServices({ jobs: deps.client, ...deps.clients }, clientOptions, callCtx, deps.logger)
    : (new Proxy(
        {},
        { get: () => () => Promise.reject(new Error('engine service not configured')) },
      ) as EngineServices);
  const denied = (what: string, reason: string) => {
    logger.warn('auth:forbidden', { what, reason });
    deps.denials?.record({ who: `user:${actor.sub}`, what, code: '403', reason });
  };
  return { correlationId: request.correlationId, actor, engine, services, logger, denied };
}

/**
 * A request without a valid token: logged at warn and counted for the audit chain, and limited per client
 * address — beyond the limit the answer is 429 (RATE_LIMITED), so guessing tokens is slow and cheap to
 * refuse. Throws the 429; otherwise the caller rethrows the 401.
 */
function refuseUnauthenticated(
  deps: ContextDeps,
  request: { correlationId: string; clientAddress?: string | undefined; transport?: 'graphql' | 'graphql-ws' },
  err: unknown,
): void {
  if (!(err instanceof GatewayError) || err.code !== 'UNAUTHENTICATED') return;
  const who = `address:${request.clientAddress ?? 'unknown'}`;
  const what = request.transport ?? 'graphql';
  try {
    deps.unauthenticatedLimiter?.take(who);
  } catch (limited) {
    deps.denials?.record({ who, what, code: '429', reason: 'too many requests without a valid token' });
    throw limited;
  }
  deps.logger.warn('auth:rejected', { correlationId: request.correlationId, who, what, reason: err.message });
  deps.denials?.record({ who, what, code: what === 'graphql-ws' ? '4403' : '401', reason: err.message });
}
