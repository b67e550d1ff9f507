/**
 * npm run test:mutation [-- scope…]: runs Stryker (stryker.config.mjs) for each scope in turn, all of
 * them by default, and prints the mutation score per module. Stryker needs Node >= 22.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { SCOPES } from '../stryker.config.mjs';

if (Number(process.versions.node.split('.')[0]) < 22) {
  console.error(`Stryker needs Node >= 22 (this is ${process.version}).`);
  process.exit(2);
}
const scopes = process.argv.slice(2).length ? process.argv.slice(2) : Object.keys(SCOPES);
const template = `rapport_mutation_template_${process.pid}`;
const rows = [];
let failed = false;
for (const scope of scopes) {
  const run = spawnSync(process.execPath, [path.join('node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run'], {
    stdio: 'inherit', env: { ...process.env, MUTATION_SCOPE: scope, RAPPORT_TEST_KEEP_TEMPLATE: template },
  });
  if (run.status !== 0) failed = true;
  const report = path.join('reports', 'mutation', `${scope}.json`);
  if (!fs.existsSync(report)) continue;
  for (const [file, { mutants }] of Object.entries(JSON.parse(fs.readFileSync(report, 'utf8')).files)) {
    const n = (s) => mutants.filter((m) => m.status === s).length;
    const killed = n('Killed') + n('Timeout');
    const valid = killed + n('Survived') + n('NoCoverage');
    rows.push({ scope, file, killed, survived: n('Survived'), noCoverage: n('NoCoverage'), score: valid ? ((100 * killed) / valid).toFixed(1) : 'n/a' });
  }
}
const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' });
try {
  await client.connect();
  await client.query(`drop database if exists ${template} with (force)`);
} catch { /* no database scope ran, or no local PostgreSQL */ } finally {
  await client.end().catch(() => {});
}
console.log('\nMutation score per module (killed / (killed + survived + no coverage)):');
console.table(rows);
process.exit(failed ? 1 : 0);
