import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { adminQuery, withDatabase } from '../helpers/pg';
import { TS_NODE_FLAGS } from '../helpers/ts-child';

/**
 * A DATABASE_URL that names a missing database, or a server that does not answer, stops the service
 * and the CLIs with one line saying what was tried (never the password, never a stack); creating the
 * database takes --create-database. Real processes, as users start them.
 */
const root = path.join(__dirname, '..', '..');
const adminUrl = () => process.env.RAPPORT_TEST_ADMIN_URL!;

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [...TS_NODE_FLAGS, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TS_NODE_PROJECT: 'tsconfig.json', NODE_ENV: 'development', PORT: '0', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

/** The test server's URL with a password in it, to prove messages never carry it. */
function urlWithPassword(database: string): string {
  const u = new URL(withDatabase(adminUrl(), database));
  u.password = 'not-for-logs';
  return u.toString();
}

it('a missing database stops the start with a clear message and creates nothing', async () => {
  const name = `rapport_missing_${randomBytes(4).toString('hex')}`;
  const r = await run(['src/main.ts'], { DATABASE_URL: urlWithPassword(name) });
  expect(r.code).toBe(1);
  expect(r.output).toContain(`database "${name}" does not exist`);
  expect(r.output).toContain('--create-database (or DB_CREATE=true)');
  expect(r.output).not.toContain('not-for-logs');
  expect(r.output).not.toMatch(/\n\s+at /);
  const { Client } = await import('pg');
  const c = new Client({ connectionString: adminUrl() });
  await c.connect();
  try {
    expect((await c.query('select 1 from pg_database where datname = $1', [name])).rowCount).toBe(0);
  } finally {
    await c.end();
  }
}, 120_000);

it('--create-database creates and migrates it on purpose', async () => {
  const name = `rapport_created_${randomBytes(4).toString('hex')}`;
  try {
    const r = await run(['src/cli/rapport.ts', 'db', 'migrate', '--create-database'], { DATABASE_URL: withDatabase(adminUrl(), name), LOG_LEVEL: 'info' });
    expect(r.output).toContain('applied migrations');
    expect(r.code).toBe(0);
  } finally {
    await adminQuery(adminUrl(), `drop database if exists ${name} with (force)`);
  }
}, 120_000);

it('an unreachable server is one line naming host, port, database and user', async () => {
  const r = await run(['src/cli/rapport.ts', 'analytics'], { DATABASE_URL: 'postgres://app:not-for-logs@127.0.0.1:1/rapport_x' });
  expect(r.code).toBe(1);
  expect(r.output).toContain('cannot connect to PostgreSQL (host 127.0.0.1, port 1, database "rapport_x", user app): connection refused');
  expect(r.output).not.toContain('not-for-logs');
  expect(r.output).not.toMatch(/\n\s+at /);
}, 120_000);
