import 'reflect-metadata';
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { ADMIN_URL_DEFAULT, adminQuery, canConnect, dropDatabases, keptTemplateName, runOf, testDatabases, withDatabase } from './pg';
import { initOrm, migrate } from '../../src/db/orm';
import { startPgProcess } from './embedded-pg-process';


/**
 * Finds PostgreSQL (TEST_DATABASE_URL, the machine's on 127.0.0.1:5432, else an embedded one),
 * builds a migrated template database once, and hands its URL to the test files, each of which
 * clones it into a database of its own.
 */
export default async function globalSetup(): Promise<void> {
  let adminUrl = process.env.TEST_DATABASE_URL || ADMIN_URL_DEFAULT;
  // TEST_EMBEDDED=1 forces the embedded fallback (to check it works where no PostgreSQL runs).
  if (process.env.TEST_EMBEDDED === '1' || !(await canConnect(adminUrl))) {
    if (process.env.TEST_DATABASE_URL) throw new Error(`TEST_DATABASE_URL ${adminUrl} is not reachable`);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-test-pg-'));
    fs.chmodSync(dataDir, 0o755);
    const embedded = await startPgProcess(path.join(dataDir, 'pg'), 54330);
    (globalThis as { __rapportEmbedded?: unknown }).__rapportEmbedded = { embedded, dataDir };
    adminUrl = withDatabase(embedded.url, 'postgres');
  }
  await dropDeadRunsDatabases(adminUrl);
  // The run's test databases are named after it (tests/helpers/pg.ts), for globalTeardown to drop.
  process.env.RAPPORT_TEST_RUN = String(process.pid);
  // One template per run, so that two runs side by side never clone each other's half-built template.
  // Mutation testing (stryker.config.mjs) starts jest once per mutant in the same process: it names a
  // template to build once per process and keep (RAPPORT_TEST_KEEP_TEMPLATE; scripts/mutation.mjs drops it).
  // One kept template per Stryker worker process (`<keep>_w<pid>`): at concurrency 2, one shared name let the
  // second worker's first run drop and rebuild the template the first worker was cloning (a fake kill a run).
  const keep = process.env.RAPPORT_TEST_KEEP_TEMPLATE;
  const kept = keep ? keptTemplateName(keep) : undefined;
  if (kept && process.env.RAPPORT_TEST_TEMPLATE === kept) return;
  const template = kept || `rapport_test_template_${process.pid}`;
  await adminQuery(adminUrl, `drop database if exists ${template} with (force)`);
  await adminQuery(adminUrl, `create database ${template}`);
  const orm = await initOrm(withDatabase(adminUrl, template));
  try {
    await migrate(orm);
  } finally {
    await orm.close();
  }
  process.env.RAPPORT_TEST_ADMIN_URL = adminUrl;
  process.env.RAPPORT_TEST_TEMPLATE = template;
  // MikroORM keeps decorator metadata on globalThis; when jest runs a file in this same process,
  // entity classes re-declared in the test's realm must not meet the metadata made here.
  for (const key of Object.keys(globalThis)) if (key.startsWith('mikro-orm-')) delete (globalThis as Record<string, unknown>)[key];
}

/**
 * Databases of earlier runs on this machine whose process is gone: a run killed before its teardown, or
 * a Stryker run (each mutant's jest run sets up a template, and no teardown drops it) left them. Their
 * names carry the globalSetup pid (`rapport_test_template_<pid>`, `rapport_test_<pid>_…`); only those of
 * pids no longer alive are dropped, and only on a server of this machine, where the pids mean something.
 */
async function dropDeadRunsDatabases(adminUrl: string): Promise<void> {
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(adminUrl).hostname)) return;
  const alive = (pid: number): boolean => {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  };
  const dead = (await testDatabases(adminUrl)).filter((d) => {
    const pid = runOf(d);
    return pid !== undefined && !alive(pid);
  });
  await dropDatabases(adminUrl, dead, { skipFailures: true });
}

