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

  it('writes a lone surrogate as U+FFFD (what the database stores), and keeps a surrogate pair', () => {
    expect(canonicalJson({ a: 'x\ud800', b: '\udc00y', c: 'z\ud83d\ude42', k: 'q"\udbff' })).toBe(
      '{"a":"x\ufffd","b":"\ufffdy","c":"z🙂","k":"q\\"\ufffd"}',
    );
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

  it('hashes as it always has: a known vector (a chain written before any change must still verify)', () => {
    const e = {
      seq: 42,
      occurredAt: '2026-11-01T10:00:00.123Z',
      actor: 'user:ädä "q"',
      action: 'batch:committed',
      subject: { runId: 'r-1', batchSeq: 7, ids: [1, 2, null] },
      details: { z: 'ü\n', a: { y: 1, b: '\u2028' }, loaded: 1000, big: 12345678901234, none: undefined } as Record<
        string,
        unknown
      >,
    };
    const h1 = entryHash(GENESIS_HASH, e);
    expect(h1).toBe('be16c827a14d0d6ead1f5aa450cfacab8a6c3abd0f944002a2c158cd78d31019');
    expect(entryHash(h1, { ...e, seq: 43 })).toBe('75d4cc8a1d7aa8ccf14542f9f937773b391680c68a0740ee076d8964df900c11');
  });
});
