import { createCamtReader } from './iso20022-camt';
import { createPainReader } from './iso20022-pain';
import { Findings } from './findings';
import { messageOfNamespace, XmlWalker, type MessageReader } from './iso20022-xml';
import { TextInput } from './text-input';
import { type BankEntry, type BankFormat, type FormatReader, FormatError } from './types';

/**
 * The ISO 20022 reader: camt.052 / camt.053 / camt.054 (bank to customer) and pain.001 (customer
 * credit transfer initiation). The message type and version come from the root element's namespace
 * (ISO `urn:iso:std:iso:20022:tech:xsd:…`, the German DK pain.001.002.03/.003.03, the Swiss SIX
 * `…six-interbank-clearing.com/…ch.02.xsd`). The XML is read with a SAX parser piece by piece: only
 * the open elements, the current entry and running totals are held (per statement, also the set of
 * its AcctSvcrRefs, to keep keys unique), so memory does not grow with the file.
 */
/** The ISO 20022 reader; `lenient` reads a camt.053 entry without its status as booked, with a warning. */
export function iso20022Reader(options: { lenient?: boolean } = {}): FormatReader {
  return (input) => readMessages(input, options.lenient ?? false);
}

export const readIso20022: FormatReader = iso20022Reader();

async function* readMessages(input: AsyncIterable<Buffer>, lenient: boolean): ReturnType<FormatReader> {
  const text = new TextInput(input);
  const findings = new Findings();
  const ready: BankEntry[] = [];
  const doc: { message: { reader: MessageReader; format: BankFormat; version: string } | null } = { message: null };

  // a message may come inside an envelope (e.g. <BizMsgEnvlp>) beside its Business Application Header
  // (<AppHdr>, head.001): the envelope and the header are skipped, the Document is the message
  const envelope: { root: string | null; done: boolean } = { root: null, done: false };
  const walker: XmlWalker = new XmlWalker({
    open(frame, depth) {
      if (!doc.message) {
        const found = messageOfNamespace(frame.uri);
        if (!found) {
          if (depth === 0 && frame.local !== 'Document') envelope.root = frame.qname;
          if (frame.local === 'Document') {
            const what = frame.uri
              ? `unsupported namespace "${frame.uri}" on ${depth === 0 ? 'root ' : ''}element ${frame.qname}`
              : `${depth === 0 ? 'root ' : ''}element ${frame.qname} has no namespace`;
            throw new FormatError(
              `${what}: expected ISO 20022 camt.052, camt.053, camt.054 or pain.001`,
              `line ${frame.line}`,
            );
          }
          return;
        }
        walker.base = depth;
        const ctx = { ...found, walker, findings, lenient, emit: (e: BankEntry) => void ready.push(e) };
        doc.message = { ...found, reader: found.format === 'pain001' ? createPainReader(ctx) : createCamtReader(ctx) };
      } else if (envelope.done) {
        if (messageOfNamespace(frame.uri))
          throw new FormatError(
            `a second message (${frame.qname}) in the envelope: one message per file`,
            `line ${frame.line}`,
          );
        return;
      }
      if (depth >= walker.base) doc.message.reader.open(frame, depth - walker.base);
    },
    close(frame, depth) {
      if (!doc.message || envelope.done || depth < walker.base) return;
      doc.message.reader.close(frame, depth - walker.base);
      if (depth === walker.base) envelope.done = true;
    },
  });

  // a rule broken inside the document is located by element path, line and column (a message is often on one line)
  const located = (step: () => void): void => {
    try {
      step();
    } catch (err) {
      if (!(err instanceof FormatError) || !walker.stack.length) throw err; // before the root: its line says it
      const detail = err.message.slice(err.location.length + 2);
      throw new FormatError(
        detail,
        walker.where(/^line \d+, column \d+$/.test(err.location) ? err.location : undefined),
      );
    }
  };
  for await (const piece of text.chunks()) {
    located(() => walker.write(piece));
    for (const entry of ready.splice(0)) yield entry;
  }
  located(() => walker.end());
  for (const entry of ready.splice(0)) yield entry;
  const { message } = doc;
  if (!message)
    throw new FormatError(
      envelope.root
        ? `root element ${envelope.root} holds no ISO 20022 camt.052, camt.053, camt.054 or pain.001 Document`
        : 'no root element',
      'end of document',
    );
  const counts = message.reader.finish();
  const result = findings.result();
  const declared = walker.declaredEncoding?.toLowerCase() ?? null;
  if (declared && !(LATIN.includes(declared) || (text.encoding === 'utf-8' && UTF8.includes(declared)))) {
    result.warnings.push(
      `the XML declares encoding ${walker.declaredEncoding} but the bytes were read as ${text.encoding}`,
    );
  }
  return { format: message.format, version: message.version, encoding: text.encoding, counts, ...result };
}

/** Declared encodings that agree with how the bytes were decoded (a Latin-1 declaration on valid UTF-8 is ambiguous). */
const UTF8 = ['utf-8', 'utf8', 'us-ascii', 'ascii'];
const LATIN = ['windows-1252', 'cp1252', 'iso-8859-1', 'iso8859-1', 'latin1', 'latin-1', 'iso-8859-15'];
