import { createHash } from 'node:crypto';
import { parseRecords } from '@strongroom/connectors';
import { ErrorCode, StrongroomError } from '@strongroom/errors';

/** One name a listed party is known by: its primary name or an alias. */
export interface ListedName {
  /** The list's identifier of the party (OFAC `ent_num`). */
  entryId: string;
  /** The name as the list writes it. */
  name: string;
  kind: 'primary' | 'aka' | 'fka' | 'nka';
  /** individual, entity, vessel, aircraft (OFAC SDN_Type; -0- means entity). */
  partyType: string;
  /** Sanctions programs (OFAC Program), e.g. ["SDGT", "IFSR"]. */
  programs: string[];
}

export interface ListFileSummary {
  file: string;
  sha256: string;
  format: 'ofac-sdn' | 'ofac-alt';
  names: number;
  /** Records that are not valid rows of the format, with why (the rest of the file still loads). */
  skipped: { recordNo: number; reason: string }[];
}

const NULL = '-0-';
const clean = (v: string | undefined) => {
  const t = (v ?? '').trim();
  return t === NULL ? '' : t;
};

/**
 * Reads one OFAC file in the SDN CSV format (no header, `-0-` for null): `sdn.csv` (12 columns: ent_num,
 * name, type, program, …, remarks) or `alt.csv` (5 columns: ent_num, alt_num, aka|fka|nka, name,
 * remarks). Aliases written in an SDN record's remarks (a.k.a. 'X') are taken too. Which of the two a
 * file is, is decided from its rows. A file with no valid row at all is refused with the reason.
 */
export function readOfacFile(file: string, content: Buffer): { names: ListedName[]; summary: ListFileSummary } {
  const { records } = parseRecords(content, { delimiter: 0x2c }, true);
  const sha256 = createHash('sha256').update(content).digest('hex');
  const names: ListedName[] = [];
  const skipped: { recordNo: number; reason: string }[] = [];
  let sdnRows = 0;
  let altRows = 0;
  records.forEach((r, idx) => {
    const recordNo = idx + 1;
    if (r.error) return void skipped.push({ recordNo, reason: r.error.code });
    const f = r.fields;
    if (f.length === 1 && !f[0]?.trim()) return; // blank line
    const entryId = clean(f[0]);
    if (!/^\d{1,10}$/.test(entryId))
      return void skipped.push({
        recordNo,
        reason: `ent_num is not a number (${JSON.stringify(entryId.slice(0, 20))})`,
      });
    if (f.length === 12) {
      const name = clean(f[1]);
      if (!name) return void skipped.push({ recordNo, reason: 'empty name' });
      const partyType = clean(f[2]).toLowerCase() || 'entity';
      const programs = clean(f[3])
        .split(/\]\s*\[/)
        .map((p) => p.replace(/[[\]]/g, '').trim())
        .filter(Boolean);
      sdnRows++;
      names.push({ entryId, name, kind: 'primary', partyType, programs });
      for (const m of clean(f[11]).matchAll(/\b([afn])\.k\.a\.\s*'([^']{2,200})'/gi)) {
        names.push({
          entryId,
          name: (m[2] as string).trim(),
          kind: `${(m[1] as string).toLowerCase()}ka` as ListedName['kind'],
          partyType,
          programs,
        });
      }
      return;
    }
    if (f.length === 5 && /^(aka|fka|nka)$/i.test(clean(f[2]))) {
      const name = clean(f[3]);
      if (!name) return void skipped.push({ recordNo, reason: 'empty alternate name' });
      altRows++;
      names.push({ entryId, name, kind: clean(f[2]).toLowerCase() as ListedName['kind'], partyType: '', programs: [] });
      return;
    }
    skipped.push({
      recordNo,
      reason: `${f.length} columns: neither an SDN record (12) nor an alternate-name record (5)`,
    });
  });
  if (!sdnRows && !altRows) {
    throw new StrongroomError(
      ErrorCode.INVALID_ARGUMENT,
      `${file} is not an OFAC SDN-format list (no SDN or alternate-name record among ${records.length} records)`,
    );
  }
  return {
    names,
    summary: { file, sha256, format: sdnRows >= altRows ? 'ofac-sdn' : 'ofac-alt', names: names.length, skipped },
  };
}
