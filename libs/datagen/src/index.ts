// Public API of @strongroom/datagen: deterministic, realistic bank data for the demo, benchmarks and tests.
export {
  generateTransactionsCsv,
  madeUpNames,
  GENERATOR_VERSION,
  TRANSACTIONS_CSV_HEADER,
  type GenerateOptions,
  type GeneratedFile,
  type BadRowKind,
} from './transactions-csv';
export { DEMO_JOB_YAML, DEMO_DATA_OPTIONS } from './demo-job';
export { createRandom, type Random } from './random';
export { ibanFor, luhnComplete } from './identifiers';
export { generateAchFile, type AchGenerateOptions, type GeneratedAch } from './ach-file';
