import { hash } from 'node:crypto';
import { type Findings } from './findings';
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { parseDec, type Dec } from '@strongroom/money';
import { type BankEntry, type BankFormat, FormatError, MAX_RAW_CHARS } from './types';

/**
 * What the ISO 20022 readers share: the streaming XML walk (a stack of open elements by local name,
 * their direct text, line numbers, and the compact raw text of one entry), the namespace → message
 * table, amount parsing, and the set of references already given in a statement. Nothing here holds
 * more than the open elements and the current entry, and hostile input cannot make saxes hold much
 * more: no DOCTYPE (entity declarations), no tag or text node beyond MAX_QUIET_CHARS, at most
 * MAX_ATTRIBUTES attributes per element.
 */

/** Longest direct text of one element (ISO 20022 texts are at most a few hundred characters). */
const MAX_TEXT_CHARS = 64 * 1024;
/** Deepest element nesting accepted (ISO 20022 messages nest about 15 levels). */
const MAX_DEPTH = 64;
/** Most attributes on one element (ISO 20022 uses one or two: Ccy, xmlns). */
const MAX_ATTRIBUTES = 64;
/**
 * Most characters saxes may buffer without an event (start tag, end tag, text, CDATA, comment, PI):
 * a start tag, text node or declaration this long is not ISO 20022, and saxes holds it whole (a
 * 38 MB start tag grew to 1.3 GB).
 */
const MAX_QUIET_CHARS = 1 << 20;
/** saxes is fed pieces of at most this many characters, so the MAX_QUIET_CHARS check runs often. */
const SLICE_CHARS = 64 * 1024;
const DOCTYPE = '<!DOCTYPE';

export interface XmlFrame {
  readonly local: string;
  readonly qname: string;
  readonly uri: string;
  readonly attributes: SaxesTagNS['attributes'];
  /** Line and column of the start tag. */
  readonly line: number;
  readonly column: number;
  /** Its position among its parent's children of the same name (1-based). */
  readonly index: number;
  /** Direct text, trimmed when the element closes. */
  text: string;
  /** How many children of each name it has had so far (for their `index`). */
  children?: Map<string, number>;
}

export interface XmlVisitor {
  /** `depth` is 0 for the root element. */
  open(frame: XmlFrame, depth: number): void;
  close(frame: XmlFrame, depth: number): void;
}

/** A SAX walk over text pieces. Holds the open elements only; a FormatError stops it. */
export class XmlWalker {
  readonly stack: XmlFrame[] = [];
  /**
   * Depth of the message's Document element: 0, or deeper inside an envelope (a Business Application
   * Header beside it). `at` and `path` count from it, so the message readers see the Document as depth 0.
   */
  base = 0;
  declaredEncoding: string | null = null;
  private readonly parser = new SaxesParser({ xmlns: true });
  private tagLine = 1;
  private tagColumn = 1;
  private raw: string[] | null = null;
  private rawChars = 0;
  /** An element whose end tag was read; the visitor gets it at the next event (see `flush`). */
  private closing = false;
  /** Stream position and line of saxes' last event (see MAX_QUIET_CHARS). */
  private quietSince = 0;
  private quietLine = 1;
  private rootOpened = false;
  /** The last characters written before the root element, to find a `<!DOCTYPE` split across pieces. */
  private prologTail = '';

  constructor(private readonly visitor: XmlVisitor) {
    const p = this.parser;
    const progress = (): void => {
      this.quietSince = p.position;
      this.quietLine = p.line;
    };
    p.on('error', (err) => {
      throw new FormatError(
        `malformed XML: ${err.message.replace(/^\d+:\d+: /, '')}`,
        `line ${p.line}, column ${p.column}`,
      );
    });
    p.on('xmldecl', (decl) => {
      progress();
      this.declaredEncoding = decl.encoding ?? null;
    });
    p.on('comment', progress);
    p.on('processinginstruction', progress);
    p.on('opentagstart', (tag) => {
      this.tagLine = p.line;
      this.tagColumn = Math.max(1, p.column - tag.name.length - 1); // saxes is past the name: back to the "<"
    });
    p.on('opentag', (tag) => {
      progress();
      this.rootOpened = true;
      this.flush();
      const depth = this.stack.length;
      if (depth >= MAX_DEPTH)
        throw new FormatError(`elements nest deeper than ${MAX_DEPTH} levels`, this.tagPosition());
      const attributes = Object.keys(tag.attributes).length;
      if (attributes > MAX_ATTRIBUTES)
        throw new FormatError(
          `element ${tag.name} has ${attributes} attributes, more than ${MAX_ATTRIBUTES}`,
          this.tagPosition(),
        );
      const parent = this.stack[depth - 1];
      let index = 1;
      if (parent) {
        parent.text = ''; // ISO 20022 has no mixed content: text before a child is layout
        parent.children ??= new Map();
        index = (parent.children.get(tag.local) ?? 0) + 1;
        parent.children.set(tag.local, index);
      }
      const frame: XmlFrame = {
        local: tag.local,
        qname: tag.name,
        uri: tag.uri,
        attributes: tag.attributes,
        line: this.tagLine,
        column: this.tagColumn,
        index,
        text: '',
      };
      this.stack.push(frame);
      this.visitor.open(frame, depth);
      if (this.raw)
        this.appendRaw(
          `<${tag.name}${Object.values(tag.attributes)
            .map((a) => ` ${a.name}="${escapeXml(a.value, true)}"`)
            .join('')}>`,
        );
    });
    const onText = (text: string): void => {
      progress();
      this.flush();
      const top = this.stack[this.stack.length - 1];
      if (!top) return;
      top.text += text;
      if (top.text.length > MAX_TEXT_CHARS)
        throw new FormatError(`text of ${top.local} is longer than ${MAX_TEXT_CHARS} characters`, `line ${top.line}`);
    };
    p.on('text', onText);
    p.on('cdata', onText);
    p.on('closetag', () => {
      progress();
      this.flush();
      this.closing = true;
    });
  }

  write(text: string): void {
    for (let at = 0; at < text.length; at += SLICE_CHARS) {
      const slice = text.slice(at, at + SLICE_CHARS);
      if (!this.rootOpened) this.rejectDoctype(slice);
      this.parser.write(slice);
      this.flush();
      if (this.parser.position - this.quietSince > MAX_QUIET_CHARS) {
        throw new FormatError(
          `no element boundary within ${MAX_QUIET_CHARS >> 20} MiB of text: a tag or text node this large is not an ISO 20022 message`,
          `line ${this.quietLine}`,
        );
      }
    }
  }

  /**
   * A DOCTYPE fails the document before saxes reads it: ISO 20022 messages have none, and saxes holds
   * its internal subset whole (4M entity declarations took 1.4 GB). After the root element saxes
   * itself rejects one at once, so only the prolog is searched.
   */
  private rejectDoctype(slice: string): void {
    const across = (this.prologTail + slice.slice(0, DOCTYPE.length - 1)).indexOf(DOCTYPE);
    const at = across >= 0 ? 0 : slice.indexOf(DOCTYPE);
    this.prologTail =
      slice.length >= DOCTYPE.length
        ? slice.slice(1 - DOCTYPE.length)
        : (this.prologTail + slice).slice(1 - DOCTYPE.length);
    if (across < 0 && at < 0) return;
    const line = this.parser.line + (slice.slice(0, at).match(/\r\n|\n|\r/g)?.length ?? 0);
    throw new FormatError('a DOCTYPE declaration is not allowed: ISO 20022 messages have none', `line ${line}`);
  }

  /** The start tag being read: its line and column. */
  private tagPosition(): string {
    return `line ${this.tagLine}, column ${this.tagColumn}`;
  }

  /** Ends the document (a missing end tag or root element fails here). */
  end(): void {
    this.parser.close();
    this.flush();
  }

  /**
   * Passes a pending end tag to the visitor. saxes reports a mismatched end tag only after its close
   * event, so the close waits for the next event: a malformed document then fails as malformed XML,
   * not as a half-read entry.
   */
  private flush(): void {
    if (!this.closing) return;
    this.closing = false;
    const frame = this.stack[this.stack.length - 1] as XmlFrame;
    frame.text = detach(frame.text.trim());
    if (this.raw) this.appendRaw(`${escapeXml(frame.text, false)}</${frame.qname}>`);
    this.visitor.close(frame, this.stack.length - 1);
    this.stack.pop();
  }

  /**
   * Where the reader is, by element path from the message's Document (or the root, before it), each
   * element below the message's root with its position among its like-named siblings, and the start tag's
   * line and column: `/Document/BkToCstmrStmt/Stmt[1]/Ntry[3] (line 1, column 812)`. `at` keeps another
   * position (a malformed-XML error's own).
   */
  where(at?: string): string {
    const from = Math.min(this.base, Math.max(0, this.stack.length - 1));
    let out = '';
    for (let i = from; i < this.stack.length; i++) {
      const f = this.stack[i] as XmlFrame;
      out += `/${f.local}${i - from >= 2 ? `[${f.index}]` : ''}`;
    }
    const top = this.stack[this.stack.length - 1];
    const position = at ?? (top ? `line ${top.line}, column ${top.column}` : `line ${this.parser.line}`);
    return out ? `${out} (${position})` : position;
  }

  /** Local names of the open elements from `depth` (counted from the Document) to the innermost, joined by "/". */
  path(depth: number): string {
    const from = depth + this.base;
    let out = '';
    for (let i = from; i < this.stack.length; i++)
      out += i === from ? (this.stack[i] as XmlFrame).local : `/${(this.stack[i] as XmlFrame).local}`;
    return out;
  }

  /** The open element at `depth` (counted from the Document). */
  at(depth: number): XmlFrame | undefined {
    return this.stack[depth + this.base];
  }

  /** Starts capturing the compact text of the element being opened (call from `open`). */
  startRaw(): void {
    this.raw = [];
    this.rawChars = 0;
  }

  /** The captured text (start tags with attributes, text, end tags), at most MAX_RAW_CHARS. */
  takeRaw(): string {
    const text = (this.raw ?? []).join('');
    this.raw = null;
    return text.length > MAX_RAW_CHARS ? `${text.slice(0, MAX_RAW_CHARS - 1)}…` : text;
  }

  private appendRaw(piece: string): void {
    if (!this.raw || this.rawChars > MAX_RAW_CHARS) return;
    this.raw.push(piece);
    this.rawChars += piece.length;
  }
}

function escapeXml(text: string, attribute: boolean): string {
  const t = text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  return attribute ? t.replace(/"/g, '&quot;') : t.replace(/>/g, '&gt;');
}

export function attribute(frame: XmlFrame, local: string): string | null {
  for (const a of Object.values(frame.attributes)) if (a.local === local) return detach(a.value.trim());
  return null;
}

/**
 * A copy of `text` that shares no memory with the piece of the document it was cut from: V8 keeps a
 * whole decoded chunk (up to megabytes) alive for any slice of it that is kept. Concatenating and
 * slicing makes V8 copy the characters once.
 */
export function detach(text: string): string {
  return text.length < 13 ? text : ` ${text}`.slice(1);
}

/** References remembered per statement or PmtInf; beyond this, new ones are not tracked (about 60 MB at the cap). */
const MAX_TRACKED_KEYS = 1_000_000;

/**
 * The references (AcctSvcrRef, InstrId / EndToEndId) already given in one statement or PmtInf, so a
 * repeat can be keyed by its position. A reference of 20 characters or more is held as its 20-byte
 * SHA-1 digest (a shorter one as a copy of itself: the lengths keep the two apart), so each costs
 * about 60 bytes whatever its length. After `max` distinct ones, new references are no longer
 * remembered (`untracked` counts them), so a repeat of one of those keeps its plain key.
 */
export class SeenKeys {
  untracked = 0;
  private readonly digests = new Set<string>();

  constructor(readonly max = MAX_TRACKED_KEYS) {}

  /** Whether `key` was given before; a new key is remembered while fewer than `max` are. */
  repeated(key: string): boolean {
    const digest = key.length < 20 ? detach(key) : hash('sha1', key, 'binary'); // 'binary' = latin1: 20 one-byte characters
    if (this.digests.has(digest)) return true;
    if (this.digests.size < this.max) this.digests.add(digest);
    else this.untracked++;
    return false;
  }
}

/** The message a root namespace declares, e.g. camt.053.001.02 → { format: 'camt053', version }. */
export function messageOfNamespace(uri: string): { format: BankFormat; version: string } | null {
  const iso = /^urn:iso:std:iso:20022:tech:xsd:((camt\.05[234]|pain\.001)\.\d{3}\.\d{2})$/.exec(uri);
  // Swiss SIX variants, e.g. http://www.six-interbank-clearing.com/de/pain.001.001.03.ch.02.xsd
  const six =
    /^https?:\/\/www\.six-interbank-clearing\.com\/[a-z]{2}\/((camt\.05[234]|pain\.001)\.\d{3}\.\d{2}\.ch\.\d{2})\.xsd$/.exec(
      uri,
    );
  const m = iso ?? six;
  if (!m) return null;
  return { format: (m[2] as string).replace('.', '') as BankFormat, version: m[1] as string };
}

/** An ISO 20022 amount (xs:decimal ≥ 0): its text normalised ("+1." → "1", ".5" → "0.5") and value. */
export function parseXmlAmount(text: string | undefined, what: string, location: string): { text: string; dec: Dec } {
  const m = /^\+?(\d*)(?:\.(\d*))?$/.exec(text ?? '');
  const int = m?.[1] ?? '';
  const frac = m?.[2] ?? '';
  if (!m || (int === '' && frac === '')) throw new FormatError(`${what} "${text ?? ''}" is not an amount`, location);
  const norm = `${int || '0'}${frac ? `.${frac}` : ''}`;
  return { text: norm, dec: parseDec(norm) as Dec };
}

/** A count such as NbOfTxs / NbOfNtries. */
export function parseCount(text: string, what: string, location: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new FormatError(`${what} "${text}" is not a count`, location);
  return Number(text);
}

/** Signs an amount text by a CdtDbtInd (DBIT → "-"; a zero amount keeps no sign). */
export function signAmount(amount: { text: string; dec: Dec }, debit: boolean): { text: string; dec: Dec } {
  if (!debit || amount.dec.units === 0n) return amount;
  return { text: `-${amount.text}`, dec: { units: -amount.dec.units, scale: amount.dec.scale } };
}

/** How a lenient read signed an amount whose CdtDbtInd is missing. */
export type UnstatedSign = 'signed' | 'zero' | 'transaction' | 'credit';

/**
 * An amount with its direction (`indicator` is the CdtDbtInd). Strictly the CdtDbtInd must be there. With
 * `lenient`, a missing one where the sign is otherwise given: a zero amount (no sign to give), an amount
 * written with its sign ("-12.50" debit), or — an entry — the CdtDbtInd of its one TxDtls (`txIndicator`).
 * Otherwise it is read as a credit (`how: 'credit'`), which the caller must have confirmed (the camt
 * statement: by a minus written elsewhere in it, or a balance check or summary with given signs).
 */
export function directedAmount(o: {
  amount: string | undefined;
  indicator: string | undefined;
  txIndicator?: string | undefined;
  /** What the amount and indicator are named after: `Ntry/` → `Ntry/Amt`, `Ntry/CdtDbtInd`. */
  what: string;
  location: string;
  lenient?: boolean;
}): { amount: { text: string; dec: Dec }; how?: UnstatedSign } {
  const indWhat = `${o.what}CdtDbtInd`;
  if (o.indicator !== undefined || !o.lenient) {
    const amount = parseXmlAmount(o.amount, `${o.what}Amt`, o.location);
    if (o.indicator === undefined)
      throw new FormatError(
        `${indWhat} is missing, expected CRDT or DBIT (with source.strictness: lenient, a zero amount or one written with its sign is read without it)`,
        o.location,
      );
    return { amount: signAmount(amount, debitIndicator(o.indicator, indWhat, o.location)) };
  }
  const minus = o.amount?.startsWith('-') ?? false;
  const amount = parseXmlAmount(minus ? o.amount?.slice(1) : o.amount, `${o.what}Amt`, o.location);
  if (amount.dec.units === 0n) return { amount, how: 'zero' };
  if (minus || o.amount?.startsWith('+')) return { amount: signAmount(amount, minus), how: 'signed' };
  if (o.txIndicator !== undefined)
    return {
      amount: signAmount(amount, debitIndicator(o.txIndicator, 'TxDtls CdtDbtInd', o.location)),
      how: 'transaction',
    };
  return { amount, how: 'credit' };
}

export function debitIndicator(text: string | undefined, what: string, location: string): boolean {
  if (text === 'CRDT' || text === 'DBIT') return text === 'DBIT';
  throw new FormatError(
    text === undefined ? `${what} is missing, expected CRDT or DBIT` : `${what} is "${text}", expected CRDT or DBIT`,
    location,
  );
}

/** YYYY-MM-DD of an ISO date or date-time. */
export function datePart(text: string | undefined | null): string | null {
  return text ? text.slice(0, 10) : null;
}

/** What a message reader (camt or pain) is given: where to send entries and findings. */
export interface MessageContext {
  format: BankFormat;
  version: string;
  walker: XmlWalker;
  findings: Findings;
  emit(entry: BankEntry): void;
  /** strictness: lenient — slips that cannot change an amount are read with warnings. */
  lenient?: boolean;
}

/** A message reader: the XML events of the whole document in, counts out at the end. */
export interface MessageReader extends XmlVisitor {
  finish(): Record<string, number>;
}
