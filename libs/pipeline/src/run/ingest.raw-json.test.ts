import { CANONICAL_FIELDS } from '../jobs/job-definition';
import { rawJson, type IngestRecordInput } from './ingest';

/** What a streamed record's dead letter keeps: the same text as JSON.stringify of an object of its non-empty fields. */
describe('rawJson', () => {
  const reference = (r: IngestRecordInput) =>
    JSON.stringify(Object.fromEntries(CANONICAL_FIELDS.filter((f) => r[f]).map((f) => [f, r[f]])));

  it.each<[string, IngestRecordInput]>([
    ['every field', Object.fromEntries(CANONICAL_FIELDS.map((f, i) => [f, `v${i}`]))],
    ['no field', {}],
    ['empty and missing fields', { txn_id: '', account: 'A', amount: undefined, reference: '' }],
    ['only the last field', { card_pan: '4111 1111 1111 1111' }],
    [
      'quotes, backslashes, control characters and non-ASCII text',
      { txn_id: 'a"b\\c', counterparty_name: 'Zoë\u0000\u001f\t\n\u2028 北京 😀', reference: '</script>' },
    ],
  ])('%s', (_, r) => {
    expect(rawJson(r)).toBe(reference(r));
    expect(JSON.parse(rawJson(r))).toEqual(JSON.parse(reference(r)));
  });
});
