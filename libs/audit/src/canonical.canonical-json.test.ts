import { canonicalJson, entryHash, GENESIS_HASH } from './index';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 'x', y: null }], c: undefined } })).toBe(
      '{"a":{"d":[1,{"y":null,"z":"x"}]},"b":1}',
    );
  });

  it('writes bigints as strings and refuses floats', () => {
    expect(canonicalJson({ n: 12345678901234567890n })).toBe('{"n":"12345678901234567890"}');
    expect(() => canonicalJson({ amount: 10.5 })).toThrow(/integers only/);
  });

  it('gives a hash that changes with any field and with the previous hash', () => {
    const e = {
      seq: 1,
      occurredAt: '2026-01-01T00:00:00.000Z',
      actor: 'service:engine',
      action: 'run:started',
      subject: { runId: 'r' },
      details: {},
    };
    const h = entryHash(GENESIS_HASH, e);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(entryHash(GENESIS_HASH, { ...e, actor: 'user:eve' })).not.toBe(h);
    expect(entryHash('1'.repeat(64), e)).not.toBe(h);
  });
});
