// Per-request context: who is calling (authenticated actor), under which correlation id, and the
// request-scoped engine facade (memoized reads). Built once per HTTP request.
import { type Breaker } from '@strongroom/resilience';
import { type JobServiceClient } from '@strongroom/contract';
import { type Logger, newCorrelationId } from '@strongroom/logging';
import { type Actor, type AuthSettings, authenticate } from './auth/authenticate';
import { type RateLimiter } from './auth/rate-limit';
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
export function buildContext(
  deps: ContextDeps,
  request: { correlationId: string; authorization: string | undefined },
): GatewayContext {
  const actor = authenticate(request.authorization, deps.auth);
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
  return { correlationId: request.correlationId, actor, engine, services, logger };
}
