/** The server tests use: TEST_DATABASE_URL, else the machine's PostgreSQL on 127.0.0.1:5432. */
export const ADMIN_URL_DEFAULT = 'postgres://postgres@127.0.0.1:5432/postgres';

export { adminQuery, canConnect, withDatabase } from '../../src/db/pg-admin';
