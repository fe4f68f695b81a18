/** Environment variables the global setup hands to test workers. */
export const ENV_SERVER_URL = 'STRONGROOM_TEST_PG_SERVER'; // postgres://user@127.0.0.1:port (no db)
export const ENV_TEMPLATE_DB = 'STRONGROOM_TEST_PG_TEMPLATE';
export const TEMPLATE_DB = 'strongroom_template';

/** Variables of a shifted test clock (libfaketime) that every child process must share with the test. */
const CLOCK_VARIABLES = /^(LD_PRELOAD|FAKETIME.*|DONT_FAKE_MONOTONIC)$/;

/**
 * The environment a child process of a test starts from: PATH, HOME and, when the suite runs under a
 * shifted clock (`npm test`'s clock check), that clock's settings, so the engine or CLI the test starts sees
 * the same "now" as the test and its PostgreSQL — as they would on a machine whose date really is later.
 */
export function childBaseEnv(): Record<string, string> {
  const env: Record<string, string> = { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp' };
  for (const [k, v] of Object.entries(process.env)) if (CLOCK_VARIABLES.test(k) && v !== undefined) env[k] = v;
  return env;
}
