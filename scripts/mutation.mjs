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
/**
 * A "kill" whose failure is the test infrastructure's (the test database or its template missing,
 * PostgreSQL unreachable), not an assertion's, says nothing about the mutant. Such results once made
 * whole database scopes look ~100% killed (the global teardown dropped the template after the dry run):
 * they are counted apart, left out of the score, and make this script fail.
 */
const INFRASTRUCTURE = /template database .* does not exist|database "[^"]*" does not exist|ECONNREFUSED 127\.0\.0\.1:5432|too many clients already/;
const infrastructureKill = (m) => m.status === 'Killed' && INFRASTRUCTURE.test(m.statusReason ?? '');

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
    const n = (s) => mutants.filter((m) => m.status === s && !infrastructureKill(m)).length;
    const invalid = mutants.filter(infrastructureKill).length;
    if (invalid) failed = true;
    const detected = n('Killed') + n('Timeout');
    const valid = detected + n('Survived') + n('NoCoverage');
    rows.push({
      scope, file, killed: n('Killed'), timeout: n('Timeout'), survived: n('Survived'), noCoverage: n('NoCoverage'),
      // Killed by a broken test set-up (see INFRASTRUCTURE): not results; re-run them.
      infrastructure: invalid,
      // Static mutants a scope chose not to run (ignoreStatic), and compile errors: not in the score.
      ignored: n('Ignored') + n('CompileError') + n('RuntimeError'),
      score: valid ? ((100 * detected) / valid).toFixed(1) : 'n/a',
    });
  }
}
const client = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres' });
try {
  await client.connect();
  // One kept template per Stryker worker process (tests/helpers/global-setup.ts: `<template>_w<pid>`).
  const { rows } = await client.query(`select datname from pg_database where datname like $1`, [`${template}\\_w%`]);
  for (const { datname } of rows) await client.query(`drop database if exists "${datname}" with (force)`);
} catch { /* no database scope ran, or no local PostgreSQL */ } finally {
  await client.end().catch(() => {});
}
console.log('\nMutation score per module ((killed + timeout) / (killed + timeout + survived + no coverage)):');
console.table(rows);
if (rows.some((r) => r.infrastructure)) console.error('Some kills were the test set-up failing (column "infrastructure"), not the tests: those mutants have no result; re-run them.');
process.exit(failed ? 1 : 0);
