import { GatewayError } from '../errors/gateway-error';
import { type Actor } from './authenticate';
import { ROOT_FIELD_POLICY, withAuthorization } from './authorization';

const actor = (...roles: Actor['roles'][number][]): { actor: Actor } => ({ actor: { sub: 'u', roles } });

const stubs = (fields: object) => Object.fromEntries(Object.keys(fields).map((f) => [f, () => f]));
const resolvers = {
  Query: stubs(ROOT_FIELD_POLICY['Query'] ?? {}),
  Mutation: stubs(ROOT_FIELD_POLICY['Mutation'] ?? {}),
  Subscription: { runProgress: { subscribe: () => 'stream' } },
  Run: { job: () => 'nested' },
};

async function codeOf(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
  return 'OK';
}

describe('withAuthorization', () => {
  const guarded = withAuthorization(resolvers);
  const call = (type: 'Query' | 'Mutation', field: string, ctx: { actor: Actor }) =>
    (guarded[type] as Record<string, (p: unknown, a: unknown, c: unknown, i: unknown) => unknown>)[field]?.(
      undefined,
      {},
      ctx,
      undefined,
    );

  it('lets any role read and refuses an actor without a role', async () => {
    for (const role of ['viewer', 'operator', 'auditor', 'admin'] as const) {
      expect(await codeOf(() => call('Query', 'run', actor(role)))).toBe('OK');
    }
    expect(await codeOf(() => call('Query', 'jobs', actor()))).toBe('FORBIDDEN');
  });

  it('lets only operators and admins create and run jobs', async () => {
    expect(await codeOf(() => call('Mutation', 'runJob', actor('viewer')))).toBe('FORBIDDEN');
    expect(await codeOf(() => call('Mutation', 'createJob', actor('auditor', 'viewer')))).toBe('FORBIDDEN');
    expect(await codeOf(() => call('Mutation', 'runJob', actor('operator')))).toBe('OK');
    expect(await codeOf(() => call('Mutation', 'createJob', actor('admin')))).toBe('OK');
  });

  it('keeps the audit chain, holds and reports for auditors and admins, and run control for operators', async () => {
    expect(await codeOf(() => call('Query', 'auditEntries', actor('operator')))).toBe('FORBIDDEN');
    expect(await codeOf(() => call('Query', 'complianceReport', actor('auditor')))).toBe('OK');
    expect(await codeOf(() => call('Mutation', 'closeAlert', actor('operator')))).toBe('FORBIDDEN');
    expect(await codeOf(() => call('Mutation', 'replayDeadLetters', actor('auditor')))).toBe('FORBIDDEN');
    expect(await codeOf(() => call('Query', 'deadLetters', actor('viewer')))).toBe('FORBIDDEN');
    expect(await codeOf(() => call('Query', 'breakers', actor('viewer')))).toBe('OK');
  });

  it('leaves non-root resolvers alone', () => {
    expect(guarded.Run).toBe(resolvers.Run);
  });

  it('refuses to start with a root field that has no policy, or a policy for a missing field', () => {
    expect(() => withAuthorization({ ...resolvers, Query: { ...resolvers.Query, secrets: () => 'x' } })).toThrow(
      /Query.secrets has no authorization policy/,
    );
    expect(() =>
      withAuthorization(resolvers, { ...ROOT_FIELD_POLICY, Query: { ...ROOT_FIELD_POLICY.Query, gone: ['admin'] } }),
    ).toThrow(/Query.gone, which has no resolver/);
  });
});
