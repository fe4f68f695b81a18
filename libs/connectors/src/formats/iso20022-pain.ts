import { decEquals, DecimalSum } from '@strongroom/money';
import {
  attribute,
  datePart,
  parseXmlAmount,
  parseCount,
  SeenKeys,
  type MessageContext,
  type MessageReader,
  type XmlFrame,
} from './iso20022-xml';
import { type BankEntry, FormatError } from './types';

/**
 * pain.001 (CstmrCdtTrfInitn): one BankEntry per CdtTrfTxInf, an outgoing payment that debits the
 * PmtInf's debtor account (so the amount is negative). Checks GrpHdr NbOfTxs/CtrlSum against all
 * transactions and each PmtInf's NbOfTxs/CtrlSum against its own. Elements are matched by local name
 * and position (Document/CstmrCdtTrfInitn/PmtInf/CdtTrfTxInf), so .001.001.03 to .09, the German DK
 * .002.03/.003.03 and the Swiss .ch.02 variants read alike.
 */

const PMT_INF_FIELDS = new Set([
  'PmtInfId',
  'NbOfTxs',
  'CtrlSum',
  'ReqdExctnDt',
  'ReqdExctnDt/Dt',
  'ReqdExctnDt/DtTm',
  'DbtrAcct/Id/IBAN',
  'DbtrAcct/Id/Othr/Id',
]);
const TX_FIELDS = new Set([
  'PmtId/InstrId',
  'PmtId/EndToEndId',
  'Amt/InstdAmt',
  'Amt/EqvtAmt/Amt',
  'Cdtr/Nm',
  'CdtrAcct/Id/IBAN',
  'CdtrAcct/Id/Othr/Id',
  'RmtInf/Strd/CdtrRefInf/Ref',
]);
const MAX_USTRD = 10;
/** The GrpHdr fields read (others are not kept: a GrpHdr could hold any number). */
const GRP_HDR_FIELDS = new Set(['MsgId', 'NbOfTxs', 'CtrlSum']);

type Field = { text: string; line: number; ccy: string | null };

interface PaymentInformation {
  index: number;
  line: number;
  fields: Map<string, Field>;
  count: number;
  sum: DecimalSum;
  /** Keys given in this PmtInf (the one piece of state that grows with its transactions, to a cap). */
  keys: SeenKeys;
}

interface Transaction {
  index: number;
  line: number;
  fields: Map<string, Field>;
  ustrd: string[];
}

export function createPainReader(ctx: MessageContext): MessageReader {
  const { walker, findings } = ctx;
  const header = new Map<string, Field>();
  const counts = { paymentInformations: 0, transactions: 0 };
  const total = new DecimalSum();
  let pmt: PaymentInformation | null = null;
  let tx: Transaction | null = null;

  const field = (frame: XmlFrame): Field => ({ text: frame.text, line: frame.line, ccy: attribute(frame, 'Ccy') });

  function closeTransaction(p: PaymentInformation, t: Transaction): BankEntry {
    const f = (k: string): string | undefined => t.fields.get(k)?.text;
    const pf = (k: string): string | undefined => p.fields.get(k)?.text;
    const location = `PmtInf[${p.index}]/CdtTrfTxInf[${t.index}] (line ${t.line})`;
    const amt = t.fields.get('Amt/InstdAmt') ?? t.fields.get('Amt/EqvtAmt/Amt');
    const amount = parseXmlAmount(amt?.text, 'CdtTrfTxInf Amt', location);
    if (!amt?.ccy) throw new FormatError('CdtTrfTxInf Amt has no Ccy', location);
    const msgId = header.get('MsgId')?.text;
    if (!msgId) throw new FormatError('GrpHdr has no MsgId', location);
    const pmtInfId = pf('PmtInfId');
    if (!pmtInfId) throw new FormatError('PmtInf has no PmtInfId', location);
    const account = pf('DbtrAcct/Id/IBAN') ?? pf('DbtrAcct/Id/Othr/Id');
    if (!account) throw new FormatError('PmtInf has no DbtrAcct/Id', location);
    const executionDate = pf('ReqdExctnDt') ?? pf('ReqdExctnDt/Dt') ?? pf('ReqdExctnDt/DtTm');
    if (!executionDate) throw new FormatError('PmtInf has no ReqdExctnDt', location);

    p.count++;
    p.sum.add(amount.dec);
    counts.transactions++;
    total.add(amount.dec);

    const endToEnd = f('PmtId/EndToEndId');
    const own = f('PmtId/InstrId') ?? (endToEnd && endToEnd !== 'NOTPROVIDED' ? endToEnd : undefined);
    let txnId = `${msgId}/${pmtInfId}/${own ?? `#${t.index}`}`;
    if (own && p.keys.repeated(own)) {
      findings.warn(
        `${location}: ${own} appears more than once in PmtInf ${pmtInfId}; this transaction is keyed by its position`,
      );
      txnId = `${txnId}/#${t.index}`;
    }

    const zero = amount.dec.units === 0n;
    return {
      txnId,
      account,
      counterpartyAccount: f('CdtrAcct/Id/IBAN') ?? f('CdtrAcct/Id/Othr/Id') ?? null,
      counterpartyName: f('Cdtr/Nm') ?? null,
      amount: zero ? amount.text : `-${amount.text}`,
      currency: amt.ccy,
      bookedAt: executionDate,
      valueDate: datePart(executionDate),
      reference:
        (t.ustrd.length ? t.ustrd.join(' ') : undefined) ??
        f('RmtInf/Strd/CdtrRefInf/Ref') ??
        (endToEnd && endToEnd !== 'NOTPROVIDED' ? endToEnd : null),
      raw: walker.takeRaw(),
      location,
    };
  }

  /** NbOfTxs and CtrlSum (when present) of the group header or of one PmtInf. */
  function checkTotals(kind: string, name: string, fields: Map<string, Field>, count: number, sum: DecimalSum): void {
    const nb = fields.get('NbOfTxs');
    if (nb) {
      const declared = parseCount(nb.text, `${kind} NbOfTxs`, `line ${nb.line}`);
      findings.total(`${name} NbOfTxs`, nb.text);
      findings.check(kind, {
        name: `${name} NbOfTxs`,
        location: `line ${nb.line}`,
        expected: String(declared),
        found: String(count),
        ok: declared === count,
      });
    }
    const ctrl = fields.get('CtrlSum');
    if (ctrl) {
      const declared = parseXmlAmount(ctrl.text, `${kind} CtrlSum`, `line ${ctrl.line}`);
      findings.total(`${name} CtrlSum`, declared.text);
      findings.check(kind, {
        name: `${name} CtrlSum`,
        location: `line ${ctrl.line}`,
        expected: declared.text,
        found: sum.toString(),
        ok: decEquals(declared.dec, sum.get()),
      });
    }
  }

  return {
    open(frame, depth) {
      if (depth === 2 && frame.local === 'PmtInf') {
        counts.paymentInformations++;
        pmt = {
          index: counts.paymentInformations,
          line: frame.line,
          fields: new Map(),
          count: 0,
          sum: new DecimalSum(),
          keys: new SeenKeys(),
        };
      } else if (pmt && depth === 3 && frame.local === 'CdtTrfTxInf') {
        tx = { index: pmt.count + 1, line: frame.line, fields: new Map(), ustrd: [] };
        walker.startRaw();
      }
    },

    close(frame, depth) {
      const p: PaymentInformation | null = pmt;
      if (depth === 2 && frame.local === 'PmtInf' && p) {
        const name = `PmtInf[${p.index}] (PmtInfId ${p.fields.get('PmtInfId')?.text ?? '?'})`;
        checkTotals('PmtInf', name, p.fields, p.count, p.sum);
        if (p.keys.untracked) {
          findings.warn(
            `${name}: ${p.keys.untracked} InstrIds / EndToEndIds after the first ${p.keys.max} distinct ones were not tracked for repeats; ` +
              'a repeat among them kept its plain key and may go to the dead-letter queue as DUPLICATE_KEY',
          );
        }
        pmt = null;
      } else if (p && tx && depth === 3 && frame.local === 'CdtTrfTxInf') {
        ctx.emit(closeTransaction(p, tx));
        tx = null;
      } else if (!frame.text) {
        return;
      } else if (tx) {
        const rel = walker.path(4);
        if (rel === 'RmtInf/Ustrd' && tx.ustrd.length < MAX_USTRD) tx.ustrd.push(frame.text);
        else if (TX_FIELDS.has(rel) && !tx.fields.has(rel)) tx.fields.set(rel, field(frame));
      } else if (p) {
        const rel = walker.path(3);
        if (PMT_INF_FIELDS.has(rel) && !p.fields.has(rel)) p.fields.set(rel, field(frame));
      } else if (depth === 3 && walker.at(2)?.local === 'GrpHdr' && GRP_HDR_FIELDS.has(frame.local)) {
        header.set(frame.local, field(frame));
      }
    },

    finish() {
      if (!counts.paymentInformations)
        throw new FormatError(`${ctx.version.slice(0, 8)} document has no PmtInf`, 'end of document');
      if (!header.get('NbOfTxs')) throw new FormatError('GrpHdr has no NbOfTxs', 'GrpHdr');
      checkTotals('GrpHdr', 'GrpHdr', header, counts.transactions, total);
      return counts;
    },
  };
}
