import CircuitBreaker from 'opossum';
import { type BreakerPolicy } from './policies';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface BreakerTransition {
  name: string;
  from: BreakerState;
  to: BreakerState;
  at: Date;
  /** Failures in the rolling window when it happened. */
  failures: number;
}

/** A breaker as it is listed (gRPC, metrics, health): its name, its state, its last transition in this process. */
export interface BreakerStatus {
  name: string;
  state: BreakerState;
  lastTransition?: BreakerTransition;
}

/** One dependency's breaker: run calls through it; an open breaker rejects at once (fail fast). */
export interface Breaker {
  readonly name: string;
  readonly state: BreakerState;
  /** Runs `fn` through the breaker. Rejects with a BreakerOpenError while open. */
  call<T>(fn: () => Promise<T>): Promise<T>;
  /** Resolves when the breaker is CLOSED (immediately if it is). */
  whenClosed(): Promise<void>;
}

/** Thrown instead of calling a dependency whose breaker is open. */
export class BreakerOpenError extends Error {
  readonly code = 'BREAKER_OPEN';
  constructor(readonly breaker: string) {
    super(`circuit breaker ${breaker} is open`);
    this.name = 'BreakerOpenError';
  }
}

/**
 * All breakers of a process, by name, over opossum. Transitions go to the listeners (persistence,
 * audit, metrics, health) in order.
 */
export class BreakerRegistry {
  private readonly breakers = new Map<string, Breaker & { raw: CircuitBreaker; last?: BreakerTransition }>();
  private readonly listeners: ((t: BreakerTransition) => void)[] = [];

  onTransition(listener: (t: BreakerTransition) => void): void {
    this.listeners.push(listener);
  }

  get(policy: BreakerPolicy): Breaker {
    const existing = this.breakers.get(policy.name);
    if (existing) return existing;
    const raw = new CircuitBreaker((fn: () => Promise<unknown>) => fn(), {
      timeout: policy.timeoutMs,
      errorThresholdPercentage: policy.errorThresholdPercentage,
      volumeThreshold: policy.volumeThreshold,
      rollingCountTimeout: policy.rollingCountTimeoutMs,
      resetTimeout: policy.resetTimeoutMs,
      // errors that are not the dependency's fault do not count toward opening
      errorFilter: (err: unknown) => !policy.isFailure(err),
    });
    let state: BreakerState = 'CLOSED';
    let streak = 0; // dependency failures in a row
    const waiters: (() => void)[] = [];
    const move = (to: BreakerState) => {
      const from = state;
      state = to;
      if (to === 'CLOSED') for (const w of waiters.splice(0)) w();
      const t = { name: policy.name, from, to, at: new Date(), failures: raw.stats.failures };
      breaker.last = t;
      for (const l of this.listeners) l(t);
    };
    raw.on('open', () => move('OPEN'));
    raw.on('halfOpen', () => move('HALF_OPEN'));
    raw.on('close', () => {
      streak = 0;
      move('CLOSED');
    });
    const breaker: Breaker & { raw: CircuitBreaker; last?: BreakerTransition } = {
      name: policy.name,
      raw,
      get state() {
        return state;
      },
      call<T>(fn: () => Promise<T>): Promise<T> {
        return (raw.fire(fn) as Promise<T>).then(
          (value) => {
            streak = 0;
            return value;
          },
          (err: unknown) => {
            if ((err as { code?: unknown })?.code === 'EOPENBREAKER') throw new BreakerOpenError(policy.name);
            if (!policy.isFailure(err)) streak = 0;
            else if (++streak >= policy.consecutiveFailures && state === 'CLOSED') raw.open();
            throw err;
          },
        );
      },
      whenClosed(): Promise<void> {
        return state === 'CLOSED' ? Promise.resolve() : new Promise<void>((r) => waiters.push(r));
      },
    };
    this.breakers.set(policy.name, breaker);
    return breaker;
  }

  /**
   * Every breaker, its state and its last transition since this process started (for gRPC, metrics,
   * health). Answered from memory: it must work while the database is the dependency that is down.
   */
  list(): BreakerStatus[] {
    return [...this.breakers.values()].map((b) => ({
      name: b.name,
      state: b.state,
      ...(b.last ? { lastTransition: b.last } : {}),
    }));
  }

  /** Stops timers (tests, shutdown). */
  shutdown(): void {
    for (const b of this.breakers.values()) b.raw.shutdown();
    this.breakers.clear();
    this.listeners.length = 0;
  }
}
