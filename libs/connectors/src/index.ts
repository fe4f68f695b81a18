// Public API of @strongroom/connectors: streaming sources (CSV, JSON lines and bank formats), format detection and inspection, and the PostgreSQL COPY sink.
export {
  openCsvSource,
  type CsvSource,
  type CsvSourceOptions,
  type BatchLimits,
  type SourceRecord,
} from './csv-source';
export { parseRecords, SpannedRecord, type ParsedRecord } from './csv-parser';
export { copyBytes, copyText, copyEscape, LineBuffer, type CopyFieldKind } from './pg-copy';
export { openBankSource, CANONICAL_FIELDS, type BankSourceOptions } from './bank-source';
export { csvLine } from './csv-line';
export { openJsonlSource, type JsonlSourceOptions } from './jsonl-source';
export { jsonFields, parseJsonPath, parseJson, JsonNumber } from './json-record';
export { isSensitiveAuthColumn, sensitiveColumns } from './sensitive-columns';
export {
  inspectFile,
  describeCheck,
  failedReason,
  isBankFormat,
  type InspectReport,
  type ReaderOptions,
} from './formats/inspect';
export { detectFormat, type DetectedFormat } from './formats/detect';
export { BANK_FORMATS, type BankFormat, type ControlCheck, type EntryFilter } from './formats/types';
export { confineSourcePath, hideRootPaths, rootRelativePath, sourceRoots, type SourceRoots } from './source-roots';
