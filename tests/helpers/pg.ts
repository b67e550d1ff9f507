import { Client } from 'pg';
import { adminQuery } from '../../src/db/pg-admin';

/** The server tests use: TEST_DATABASE_URL, else the machine's PostgreSQL on 127.0.0.1:5432. */
export const ADMIN_URL_DEFAULT = 'postgres://postgres@127.0.0.1:5432/postgres';

export { adminQuery, canConnect, withDatabase } from '../../src/db/pg-admin';

/**
 * Test databases are named after the run that made them: `rapport_test_<globalSetup's pid>_…` for a file's
 * own, `rapport_test_template_<pid>` for the run's template. `runOf` reads the pid back.
 */
export function testDatabasePrefix(run = process.env.RAPPORT_TEST_RUN ?? 'x'): string {
  return `rapport_test_${run}_`;
}
export function runOf(database: string): number | undefined {
  const pid = /^rapport_test_(?:template_)?([0-9]+)(?:_|$)/.exec(database)?.[1];
  return pid ? Number(pid) : undefined;
}

/** The test databases on the server (every run's, templates included). */
export async function testDatabases(adminUrl: string): Promise<string[]> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    return (await c.query<{ datname: string }>(`select datname from pg_database where datname like 'rapport\\_test\\_%'`)).rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
}

/**
 * Drops databases many at a time, so that their DROP DATABASE checkpoints coincide: each drop waits for a
 * checkpoint of its own request, and a request made while a checkpoint runs is served by the next one.
 * 50 databases of a suite run (load 6, 2026-12-07): 28.6 s four at a time, 19.1 s twenty, 2.5 s fifty.
 * At most DROP_CONNECTIONS connections (max_connections is 100 by default; the teardown runs when
 * the run's own connections are closed). `skipFailures`: a database that cannot be dropped is left,
 * and the others still go.
 */
const DROP_CONNECTIONS = 40;
export async function dropDatabases(adminUrl: string, names: string[], opts: { skipFailures?: boolean } = {}): Promise<void> {
  const queue = [...names];
  await Promise.all(Array.from({ length: Math.min(DROP_CONNECTIONS, names.length) }, async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      const drop = adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
      await (opts.skipFailures ? drop.catch(() => {}) : drop);
    }
  }));
}

/** The template a Stryker worker process keeps (RAPPORT_TEST_KEEP_TEMPLATE `keep`): scripts/mutation.mjs drops `<keep>_w*`. */
export function keptTemplateName(keep: string, pid: number = process.pid): string {
  return `${keep}_w${pid}`;
}
