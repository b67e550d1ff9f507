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
// `--scores`: print the scores of each scope's last run (its incremental file) without running anything.
const scoresOnly = process.argv.includes('--scores');
const args = process.argv.slice(2).filter((a) => a !== '--scores');
const scopes = args.length ? args : Object.keys(SCOPES);
const template = `rapport_mutation_template_${process.pid}`;
const rows = [];
let failed = false;
for (const scope of scopes) {
  if (scoresOnly) {
    const last = path.join('mutation', `${scope}.incremental.json`);
    if (fs.existsSync(last)) addRows(scope, last);
    continue;
  }
  const run = spawnSync(process.execPath, [path.join('node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js'), 'run'], {
    stdio: 'inherit', env: { ...process.env, MUTATION_SCOPE: scope, RAPPORT_TEST_KEEP_TEMPLATE: template },
  });
  if (run.status !== 0) failed = true;
  const report = path.join('reports', 'mutation', `${scope}.json`);
  if (fs.existsSync(report)) addRows(scope, report);
}

function addRows(scope, report) {
  for (const [file, { mutants }] of Object.entries(JSON.parse(fs.readFileSync(report, 'utf8')).files)) {
    const n = (s) => mutants.filter((m) => m.status === s).length;
    const detected = n('Killed') + n('Timeout');
    const valid = detected + n('Survived') + n('NoCoverage');
    rows.push({
      scope, file, killed: n('Killed'), timeout: n('Timeout'), survived: n('Survived'), noCoverage: n('NoCoverage'),
      // Static mutants a scope chose not to run (ignoreStatic), and compile errors: not in the score.
      ignored: n('Ignored') + n('CompileError') + n('RuntimeError'),
      score: valid ? ((100 * detected) / valid).toFixed(1) : 'n/a',
    });
  }
}
const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' });
try {
  await client.connect();
  await client.query(`drop database if exists ${template} with (force)`);
} catch { /* no database scope ran, or no local PostgreSQL */ } finally {
  await client.end().catch(() => {});
}
console.log('\nMutation score per module ((killed + timeout) / (killed + timeout + survived + no coverage)):');
console.table(rows);
process.exit(failed ? 1 : 0);
