// Public API of @strongroom/connectors: streaming sources (CSV today) and the PostgreSQL COPY sink.
export { openCsvSource, type CsvSource, type CsvSourceOptions, type BatchLimits, type SourceRecord } from './csv-source';
export { parseRecords, type ParsedRecord } from './csv-parser';
export { copyText, copyEscape } from './pg-copy';
