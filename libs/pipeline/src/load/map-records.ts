import { type SourceRecord } from '@strongroom/connectors';
import { type CanonicalTransaction, type Rejection } from '../types';
import { type TransactionMapper } from './transaction-mapper';

/** A batch's mapped records: valid rows, rejections and filtered counts by reason. */
export interface MappedRecords {
  valid: CanonicalTransaction[];
  rejected: Rejection[];
  filtered: Record<string, number>;
}

/**
 * Maps records (appending to `into` when given: a batch mapped piece by piece), yielding to the event
 * loop every 250 so the commit in flight keeps streaming.
 */
export async function mapRecords(
  records: SourceRecord[],
  mapper: TransactionMapper,
  into: MappedRecords = { valid: [], rejected: [], filtered: {} },
): Promise<MappedRecords> {
  const { valid, rejected, filtered } = into;
  for (let i = 0; i < records.length; i++) {
    if (i > 0 && i % 250 === 0) await new Promise<void>((resolve) => setImmediate(resolve));
    const r = records[i] as SourceRecord;
    if (r.filter) {
      filtered[r.filter] = (filtered[r.filter] ?? 0) + 1;
      continue;
    }
    const m = mapper.map(r);
    if (m.ok) valid.push(m.txn);
    else rejected.push(m.rejection);
  }
  return into;
}
