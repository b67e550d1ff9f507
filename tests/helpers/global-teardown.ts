import fs from 'node:fs';
import { dropDatabases, keptTemplateName, testDatabasePrefix, testDatabases } from './pg';

export default async function globalTeardown(): Promise<void> {
  const adminUrl = process.env.RAPPORT_TEST_ADMIN_URL;
  const template = process.env.RAPPORT_TEST_TEMPLATE;
  // The databases this run's files created (createTestDatabase leaves them to this point); a run beside
  // this one keeps its own (the prefix holds this run's globalSetup pid).
  const run = process.env.RAPPORT_TEST_RUN;
  const drop = adminUrl && run ? (await testDatabases(adminUrl)).filter((d) => d.startsWith(testDatabasePrefix(run))) : [];
  // A Stryker run (RAPPORT_TEST_KEEP_TEMPLATE) keeps its template for the next mutant's jest run, which
  // skips building it (global-setup.ts; one per worker process); scripts/mutation.mjs drops them at the end. stryker.config.mjs's
  // `globalTeardown: undefined` does not stop this teardown: the jest runner hands jest its config as
  // JSON, where an undefined key is dropped, so this file runs after every mutant.
  const keep = process.env.RAPPORT_TEST_KEEP_TEMPLATE;
  if (template && !(keep && template === keptTemplateName(keep))) drop.push(template);
  // All at once: their DROP DATABASE checkpoints coincide (dropDatabases).
  if (adminUrl && drop.length) await dropDatabases(adminUrl, drop);
  const state = (globalThis as { __rapportEmbedded?: { embedded: { stop(): Promise<void> }; dataDir: string } }).__rapportEmbedded;
  if (state) {
    await state.embedded.stop();
    fs.rmSync(state.dataDir, { recursive: true, force: true });
  }
}
