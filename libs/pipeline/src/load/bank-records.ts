import { type PanProtector } from '@strongroom/compliance';
import { csvLine, type SourceRecord } from '@strongroom/connectors';

/** Positions of the identifier fields in a bank source's canonical record (txn_id, account, counterparty_account). */
const IDENTIFIERS = [0, 1, 2] as const;

/**
 * Prepares a bank-format record for the mapper: card-number-like digit runs in its identifiers
 * (business key, account, counterparty account) become their tokens before anything else sees them,
 * and the record's raw text is rebuilt from the tokenized fields. A dead-lettered record keeps that
 * raw text (with any card number left in free text masked), so a replay maps it to exactly the same
 * key and account as the run did (tokenizing a token changes nothing), where a masked identifier
 * would be a different, lossy value.
 */
export function tokenizeBankRecord(record: SourceRecord, pan: PanProtector): SourceRecord {
  const fields = [...record.fields];
  for (const i of IDENTIFIERS) if (fields[i]) fields[i] = pan.tokenizeInText(fields[i] as string);
  return { ...record, fields, raw: csvLine(fields) };
}
