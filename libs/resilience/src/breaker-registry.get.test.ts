import { BreakerOpenError, BreakerRegistry, POSTGRES_POLICY, type BreakerTransition } from './index';

const policy = {
  ...POSTGRES_POLICY,
  name: 'test-db',
  volumeThreshold: 2,
  resetTimeoutMs: 200,
  rollingCountTimeoutMs: 5000,
};
const refused = () =>
  Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
const uniqueViolation = () => Promise.reject(Object.assign(new Error('duplicate key'), { code: '23505' }));

describe('BreakerRegistry', () => {
  let registry: BreakerRegistry;
  let transitions: BreakerTransition[];
  beforeEach(() => {
    registry = new BreakerRegistry();
    transitions = [];
    registry.onTransition((t) => transitions.push(t));
  });
  afterEach(() => registry.shutdown());

  it('opens on dependency failures, fails fast while open, probes half-open and closes again', async () => {
    const b = registry.get(policy);
    await expect(b.call(refused)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await expect(b.call(refused)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    expect(b.state).toBe('OPEN');
    const t0 = Date.now();
    await expect(b.call(() => Promise.resolve(1))).rejects.toBeInstanceOf(BreakerOpenError);
    expect(Date.now() - t0).toBeLessThan(50); // fail fast
    const closed = b.whenClosed();
    await new Promise((r) => setTimeout(r, 250));
    expect(b.state).toBe('HALF_OPEN');
    await expect(b.call(() => Promise.resolve(42))).resolves.toBe(42);
    await closed;
    expect(transitions.map((t) => `${t.from}>${t.to}`)).toEqual(['CLOSED>OPEN', 'OPEN>HALF_OPEN', 'HALF_OPEN>CLOSED']);
    expect(registry.list()).toMatchObject([
      { name: 'test-db', state: 'CLOSED', lastTransition: { from: 'HALF_OPEN', to: 'CLOSED' } },
    ]);
  });

  it('opens after consecutive failures even when the window is full of earlier successes (a hanging dependency)', async () => {
    const b = registry.get({ ...policy, volumeThreshold: 3, consecutiveFailures: 3, errorThresholdPercentage: 90 });
    for (let i = 0; i < 30; i++) await b.call(() => Promise.resolve(i));
    const timedOut = () => Promise.reject(Object.assign(new Error('no answer'), { code: 'ETIMEDOUT' }));
    await expect(b.call(timedOut)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(b.call(uniqueViolation)).rejects.toMatchObject({ code: '23505' }); // the caller's error breaks the streak
    await expect(b.call(timedOut)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    await expect(b.call(timedOut)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(b.state).toBe('CLOSED'); // 3 of 34 failed: far below 90 %, and not yet 3 in a row
    await expect(b.call(timedOut)).rejects.toMatchObject({ code: 'ETIMEDOUT' });
    expect(b.state).toBe('OPEN');
    await expect(b.call(() => Promise.resolve(1))).rejects.toBeInstanceOf(BreakerOpenError);
  });

  it('does not count errors that are the caller’s (a constraint violation) against the database', async () => {
    const b = registry.get(policy);
    for (let i = 0; i < 5; i++) await expect(b.call(uniqueViolation)).rejects.toMatchObject({ code: '23505' });
    expect(b.state).toBe('CLOSED');
    expect(transitions).toEqual([]);
  });

  it('classifies by code and structure, not message text', () => {
    expect(POSTGRES_POLICY.isFailure(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true); // admin shutdown
    expect(POSTGRES_POLICY.isFailure(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(POSTGRES_POLICY.isFailure(Object.assign(new Error('connection refused'), { code: '23514' }))).toBe(false);
    expect(POSTGRES_POLICY.isFailure(new Error('Connection terminated unexpectedly'))).toBe(true); // no SQLSTATE: the link
    expect(
      POSTGRES_POLICY.isFailure(
        Object.assign(new Error('wrapped'), { driverError: Object.assign(new Error('x'), { code: '22P02' }) }),
      ),
    ).toBe(false);
  });
});
