import 'reflect-metadata';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { adminQuery, withDatabase } from '../src/db/pg-admin';
import { initOrm, migrate } from '../src/db/orm';
import { generateImportRows } from './import-rows';

/**
 * npm run bench:import — `npm run import` (the built CLI, in a child process with a 192 MB heap cap) on
 * an NDJSON file of 100,000 and one of IMPORT_ROWS (default 1,000,000) rows, in a scratch database on
 * BENCH_DATABASE_URL. Prints peak RSS and time of both runs and the difference in peak RSS: constant
 * memory means about the same peak for ten times the rows (target: < 64 MB apart). Exits non-zero
 * when an import fails or counts differ from the file; the figures themselves are for reading.
 * (Was a test in tests/integration/import.test.ts: 160–430 s of the suite.)
 */
const ADMIN = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BIG = Number(process.env.IMPORT_ROWS ?? 1_000_000);
const DB = `rapport_bench_import_${process.pid}`;

interface Summary { read: number; imported: number; rejected: number; customersCreated: number; seconds: number; peakRssMb: number }

function runCli(url: string, file: string): Promise<Summary> {
  return new Promise((resolve, reject) => {
    // The CLI as `npx rapport import` runs it (src/cli/import.js only defines the command since the CLI has subcommands).
    const child = spawn(process.execPath, ['--max-old-space-size=192', path.join(__dirname, '..', '..', 'bin', 'rapport.js'), 'import', file, '--quiet', '--chunk-size', '25000', '--json'], {
      env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b) => (out += b));
    child.on('error', reject);
    child.on('close', (code) => {
      const last = out.trim().split('\n').pop();
      if (code !== 0 || !last?.startsWith('{')) reject(new Error(`import exited with ${code}: ${out.slice(-500)}`));
      else resolve(JSON.parse(last) as Summary);
    });
  });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-bench-import-'));
  await adminQuery(ADMIN, `create database ${DB}`);
  const url = withDatabase(ADMIN, DB);
  try {
    const orm = await initOrm(url);
    await migrate(orm);
    await orm.close();
    const results: Array<[number, Summary]> = [];
    for (const [n, prefix] of [[100_000, 's'], [BIG, 'b']] as const) {
      const file = path.join(dir, `${prefix}.ndjson`);
      const bad = (await generateImportRows(file, n, prefix)).length;
      const s = await runCli(url, file);
      if (s.read !== n || s.imported !== n - bad || s.rejected !== bad) throw new Error(`${n} rows: expected ${n - bad} imported and ${bad} rejected, got ${JSON.stringify(s)}`);
      results.push([n, s]);
      console.log(`import ${n.toLocaleString('en')} rows: peak RSS ${s.peakRssMb} MB, ${s.seconds} s (${Math.round(n / s.seconds).toLocaleString('en')} rows/s), ${s.rejected} rejected`);
    }
    console.log(`peak RSS difference, ${BIG.toLocaleString('en')} vs 100,000 rows: ${results[1][1].peakRssMb - results[0][1].peakRssMb} MB (target < 64 MB)`);
  } finally {
    await adminQuery(ADMIN, `drop database if exists ${DB} with (force)`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
