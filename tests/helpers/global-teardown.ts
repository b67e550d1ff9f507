import fs from 'node:fs';
import { Client } from 'pg';
import { adminQuery } from './pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.RAPPORT_TEST_ADMIN_URL;
  const template = process.env.RAPPORT_TEST_TEMPLATE;
  if (adminUrl) await dropRunDatabases(adminUrl);
  if (adminUrl && template) await adminQuery(adminUrl, `drop database if exists ${template} with (force)`);
  const state = (globalThis as { __rapportEmbedded?: { embedded: { stop(): Promise<void> }; dataDir: string } }).__rapportEmbedded;
  if (state) {
    await state.embedded.stop();
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  }
}

/**
 * Drops every database this run's files created (createTestDatabase leaves them to this point): a few at
 * a time, so that their DROP DATABASE checkpoints coincide. The prefix holds this run's globalSetup pid,
 * so a run beside this one keeps its databases.
 */
async function dropRunDatabases(adminUrl: string): Promise<void> {
  const run = process.env.RAPPORT_TEST_RUN;
  if (!run) return;
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  let names: string[];
  try {
    const res = await c.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`rapport\\_test\\_${run}\\_%`]);
    names = res.rows.map((r) => r.datname);
  } finally {
    await c.end();
  }
  const queue = [...names];
  await Promise.all(Array.from({ length: 4 }, async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      await adminQuery(adminUrl, `drop database if exists "${name}" with (force)`);
    }
  }));
}
