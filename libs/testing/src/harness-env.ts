/** Environment variables the global setup hands to test workers. */
export const ENV_SERVER_URL = 'STRONGROOM_TEST_PG_SERVER'; // postgres://user@127.0.0.1:port (no db)
export const ENV_TEMPLATE_DB = 'STRONGROOM_TEST_PG_TEMPLATE';
export const TEMPLATE_DB = 'strongroom_template';
