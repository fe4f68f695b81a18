import {
  blindIndex,
  decryptField,
  encryptField,
  isEncrypted,
  keyIdOf,
  newKeyLine,
  parseKeyRing,
  reencryptField,
} from './field-crypto';

const ring = (...ids: string[]) =>
  parseKeyRing([...ids.map(newKeyLine), `index:${Buffer.alloc(32, 9).toString('base64')}`].join('\n'));

describe('field encryption', () => {
  it('encrypts with AES-256-GCM under the current key, with the key id in the value, and decrypts', () => {
    const keys = ring('k1');
    const stored = encryptField(keys, 'account', 'DE89370400440532013000');
    expect(stored).toMatch(/^enc:v1:k1:[A-Za-z0-9_-]+$/);
    expect(stored).not.toContain('DE89');
    expect(isEncrypted(stored)).toBe(true);
    expect(keyIdOf(stored)).toBe('k1');
    expect(decryptField(keys, 'account', stored)).toBe('DE89370400440532013000');
    expect(encryptField(keys, 'account', 'x')).not.toBe(encryptField(keys, 'account', 'x')); // fresh IV each time
  });

  it('refuses a value moved to another column or tampered with', () => {
    const keys = ring('k1');
    const stored = encryptField(keys, 'account', 'secret');
    expect(() => decryptField(keys, 'reference', stored)).toThrow();
    // change one character inside the ciphertext (never a no-op: pick a different character)
    const at = stored.length - 10;
    const flipped = `${stored.slice(0, at)}${stored[at] === 'A' ? 'B' : 'A'}${stored.slice(at + 1)}`;
    expect(flipped).not.toBe(stored);
    expect(() => decryptField(keys, 'account', flipped)).toThrow();
  });

  it('rotates: old values stay readable, re-encryption moves them to the new key', () => {
    const line1 = newKeyLine('k1');
    const index = `index:${Buffer.alloc(32, 9).toString('base64')}`;
    const before = parseKeyRing([line1, index].join('\n'));
    const old = encryptField(before, 'counterparty_name', 'Zoë Müller');
    const after = parseKeyRing([line1, newKeyLine('k2'), index].join('\n'));
    expect(after.current().id).toBe('k2');
    expect(decryptField(after, 'counterparty_name', old)).toBe('Zoë Müller');
    const moved = reencryptField(after, 'counterparty_name', old);
    expect(keyIdOf(moved)).toBe('k2');
    expect(reencryptField(after, 'counterparty_name', moved)).toBe(moved);
    expect(() => decryptField(parseKeyRing([newKeyLine('k3'), index].join('\n')), 'counterparty_name', old)).toThrow(
      /no key k1/,
    );
  });

  it('gives equal clear values equal blind indexes, per column', () => {
    const keys = ring('k1');
    expect(blindIndex(keys, 'account', 'A')).toBe(blindIndex(keys, 'account', 'A'));
    expect(blindIndex(keys, 'account', 'A')).not.toBe(blindIndex(keys, 'account', 'B'));
    expect(blindIndex(keys, 'account', 'A')).not.toBe(blindIndex(keys, 'reference', 'A'));
  });

  it('validates the key ring', () => {
    expect(() => parseKeyRing('k1:short')).toThrow(/line 1/);
    expect(() => parseKeyRing(newKeyLine('k1'))).toThrow(/no index key/);
    expect(() =>
      parseKeyRing([newKeyLine('k1'), newKeyLine('k1'), `index:${Buffer.alloc(32).toString('base64')}`].join('\n')),
    ).toThrow(/appears twice/);
  });
});
