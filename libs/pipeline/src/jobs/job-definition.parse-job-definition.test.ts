import { ErrorCode } from '@strongroom/errors';
import { asFileJob, canonicalDefinition, parseJobDefinition } from './job-definition';

const yaml = (extra = '') => `
name: card-settlements
source:
  kind: csv
  path: data/settlements.csv
  mapping: { txn_id: id, account: account_iban, amount: amount, currency: currency, booked_at: booked_at }
${extra}`;

describe('parseJobDefinition', () => {
  it('applies defaults and resolves the source path against the job file directory', () => {
    const def = parseJobDefinition(yaml(), '/jobs');
    expect(asFileJob(def).source.path).toBe('/jobs/data/settlements.csv');
    expect(def.batching).toEqual({ minSize: 500, maxSize: 50000, targetCommitMs: 250, maxInFlightMB: 64 });
    expect(def.errors.maxRejectRatio).toBe(0.05);
    expect(def.sink.table).toBe('transactions');
  });

  it('names the bad path in the error', () => {
    expect(() => parseJobDefinition(yaml('batching: { minSize: 1000, maxSize: 10 }'), '/j')).toThrow(
      expect.objectContaining({
        code: ErrorCode.INVALID_JOB_DEFINITION,
        message: expect.stringContaining('batching.maxSize must be ≥ minSize'),
      }),
    );
    expect(() => parseJobDefinition(yaml('errors: { maxRejectRatio: 2 }'), '/j')).toThrow(/errors\.maxRejectRatio/);
    expect(() => parseJobDefinition(yaml('surprise: 1'), '/j')).toThrow(/unknown field\(s\) surprise/);
  });

  it('requires the canonical key fields to be mapped', () => {
    const text = yaml().replace('txn_id: id, ', '');
    expect(() => parseJobDefinition(text, '/j')).toThrow(
      /source\.mapping\.txn_id required canonical field txn_id is not mapped/,
    );
  });

  it('refuses to map a column of sensitive authentication data, and card data in a name, system or path', () => {
    expect(() =>
      parseJobDefinition(yaml().replace('booked_at: booked_at', 'booked_at: booked_at, reference: CVV2'), '/j'),
    ).toThrow(/source\.mapping\.reference column "CVV2" holds sensitive authentication data/);
    expect(() => parseJobDefinition(yaml().replace('card-settlements', 'refund-4111-1111-1111-1111'), '/j')).toThrow(
      /name holds what looks like a card number/,
    );
    expect(() => parseJobDefinition(yaml().replace('data/settlements.csv', 'data/4111111111111111.csv'), '/j')).toThrow(
      /source\.path holds what looks like a card number/,
    );
    // the source system is on every row; a description and column names are stored with every version
    expect(() =>
      parseJobDefinition(
        yaml().replace('path: data/settlements.csv', 'path: data/settlements.csv\n  system: sys-5500005555555559'),
        '/j',
      ),
    ).toThrow(/source\.system holds what looks like a card number/);
    expect(() =>
      parseJobDefinition(`${yaml()}\ndescription: refunds of card 4111 1111 1111 1111 for Mr X`, '/j'),
    ).toThrow(/description holds what looks like a card number; a definition is stored and shown with its job/);
    expect(() =>
      parseJobDefinition(yaml().replace('account: account_iban', 'account: acct_4111111111111111'), '/j'),
    ).toThrow(/source\.mapping\.account holds what looks like a card number/);
  });

  it('rejects a relative source path without a base directory, and non-mappings', () => {
    expect(() => parseJobDefinition(yaml())).toThrow(/source\.path is relative/);
    expect(() => parseJobDefinition('- a\n- b')).toThrow(/must be a mapping/);
    expect(() => parseJobDefinition('name: [unclosed')).toThrow(/not valid YAML/);
  });

  it('gives equal definitions the same digest regardless of key order', () => {
    const a = parseJobDefinition(yaml(), '/j');
    const b = parseJobDefinition(
      `source: { mapping: { booked_at: booked_at, currency: currency, amount: amount, account: account_iban, txn_id: id }, path: data/settlements.csv, kind: csv }\nname: card-settlements`,
      '/j',
    );
    expect(canonicalDefinition(a).sha256).toBe(canonicalDefinition(b).sha256);
  });
});
