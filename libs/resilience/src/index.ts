// Public API of @strongroom/resilience: typed circuit-breaker policies per dependency (opossum) and the
// registry that exposes every breaker and its transitions, and retry with full-jitter backoff as data.
export {
  POSTGRES_POLICY,
  ENGINE_CLIENT_POLICY,
  FILE_SOURCE_POLICY,
  SCREENING_POLICY,
  type BreakerPolicy,
} from './policies';
export {
  BreakerRegistry,
  BreakerOpenError,
  type Breaker,
  type BreakerState,
  type BreakerStatus,
  type BreakerTransition,
} from './breaker-registry';
export { withRetry, backoffMs, DEFAULT_RETRY, type RetryPolicy } from './retry';
