import { evidencePairs } from './evidence';

describe('evidencePairs', () => {
  it('flattens evidence for display, keeps amounts as the strings they are, and survives bad JSON', () => {
    expect(
      evidencePairs('{"amount":"12000.00","currency":"EUR","window":{"count":3,"minutes":60},"ids":["a","b"]}'),
    ).toEqual([
      ['amount', '12000.00'],
      ['currency', 'EUR'],
      ['window.count', '3'],
      ['window.minutes', '60'],
      ['ids', 'a, b'],
    ]);
    expect(evidencePairs('not json')).toEqual([['evidence', 'not json']]);
  });
});
