import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { TS_NODE_FLAGS } from '../helpers/ts-child';

/**
 * The README's `npm start` path, end to end: no DATABASE_URL, so the service starts a real embedded
 * PostgreSQL in a data folder, migrates, seeds demo data, serves GraphQL and the playground, and on
 * SIGTERM stops cleanly, leaving no PostgreSQL behind. A second start reuses the data without re-seeding.
 */
const root = path.join(__dirname, '..', '..');
let dataRoot: string;

beforeAll(() => {
  dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rapport-embedded-'));
  fs.chmodSync(dataRoot, 0o755); // as root, PostgreSQL runs as the postgres user and must reach its folder
});
afterAll(() => {
  fs.rmSync(dataRoot, { recursive: true, force: true });
});

interface Started {
  child: ChildProcess;
  url: string;
  token: string;
  logs: string[];
}

function spawnTs(entry: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...TS_NODE_FLAGS, ...entry], {
    // Its own process group, as a terminal's foreground job has: Ctrl-C signals the whole group.
    detached: true,
    cwd: root,
    env: {
      PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'development', PORT: '0', RAPPORT_DATA_DIR: path.join(dataRoot, 'pg'),
      EMBEDDED_PG_PORT: '54331', DEMO_CUSTOMERS: '40', LOG_LEVEL: 'info', TS_NODE_PROJECT: 'tsconfig.json', ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Runs a process to its end: exit code and everything it printed. */
function runToExit(child: ChildProcess): Promise<{ code: number | null; output: string }> {
  let output = '';
  child.stdout!.on('data', (d) => (output += d.toString()));
  child.stderr!.on('data', (d) => (output += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, output })));
}

function start(): Promise<Started> {
  const child = spawnTs(['src/main.ts']);
  const logs: string[] = [];
  return new Promise((resolve, reject) => {
    let url = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${logs.join('\n')}`)), 240_000);
    const onLine = (line: string) => {
      logs.push(line);
      const u = /"url":"([^"]+)"/.exec(line);
      if (u) url = u[1];
      const t = /Bearer (\S+?)(\\n|"|$)/.exec(line);
      if (t && url) {
        clearTimeout(timer);
        resolve({ child, url, token: t[1], logs });
      }
    };
    let buf = '';
    const feed = (chunk: Buffer) => {
      buf += chunk.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      lines.forEach(onLine);
    };
    child.stdout!.on('data', feed);
    child.stderr!.on('data', feed);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${logs.join('\n')}`)));
  });
}

function stop(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.on('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}

/** Ctrl-C in a terminal: SIGINT to every process of the foreground job's process group. */
function interruptGroup(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.on('exit', (code) => resolve(code));
    process.kill(-s.child.pid!, 'SIGINT');
  });
}

/** The process group of a pid (field 5 of /proc/<pid>/stat). */
function processGroup(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
}

function postgresRunningOn(dir: string): boolean {
  try {
    return execFileSync('pgrep', ['-af', 'postgres']).toString().includes(dir);
  } catch {
    return false; // pgrep exits 1 when nothing matches
  }
}

async function countCustomers(s: Started): Promise<number> {
  const res = await fetch(s.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${s.token}` },
    body: JSON.stringify({ query: '{ customers(first: 3) { totalCount nodes { email orders(first: 1) { totalCount } } } }' }),
  });
  const body = (await res.json()) as { data: { customers: { totalCount: number } } };
  return body.data.customers.totalCount;
}

it('starts embedded PostgreSQL, seeds, serves, stops cleanly and keeps its data', async () => {
  const first = await start();
  try {
    expect(await countCustomers(first)).toBe(40);
    const page = await fetch(first.url.replace(/\/graphql$/, '/'), { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('graphiql');
    expect(await (await fetch(first.url.replace(/\/graphql$/, '/healthz'))).json()).toEqual({ status: 'ok' });
    expect(await (await fetch(first.url.replace(/\/graphql$/, '/readyz'))).json()).toEqual({ status: 'ready' });
  } finally {
    expect(await stop(first)).toBe(0);
  }
  expect(postgresRunningOn(path.join(dataRoot, 'pg'))).toBe(false);

  // Second start, stopped as Ctrl-C in the terminal of `npm start` would: SIGINT to the whole process
  // group. PostgreSQL runs in a group of its own, so the signal reaches only the service, which drains
  // its requests and then stops PostgreSQL itself (a fast shutdown at the signal would cut the drain).
  const second = await start();
  try {
    expect(await countCustomers(second)).toBe(40);
    expect(second.logs.join('\n')).not.toContain('seeded demo data');
    const postmaster = Number(fs.readFileSync(path.join(dataRoot, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    expect(processGroup(second.child.pid!)).toBe(second.child.pid);
    expect(processGroup(postmaster)).not.toBe(second.child.pid);
  } finally {
    expect(await interruptGroup(second)).toBe(0);
  }
  expect(second.logs.join('\n')).not.toContain('error during shutdown');
  expect(postgresRunningOn(path.join(dataRoot, 'pg'))).toBe(false);
}, 480_000);

describe('one owner per data folder', () => {
  it('a second start on the same data folder refuses at once, naming the running one, which keeps serving', async () => {
    const first = await start();
    try {
      const httpPort = new URL(first.url).port;
      // Another PostgreSQL port too: the lock, not a port clash, is what stops it.
      const second = await runToExit(spawnTs(['src/main.ts'], { EMBEDDED_PG_PORT: '54332' }));
      expect(second.code).toBe(1);
      expect(second.output).toContain(`in use by another Rapport instance: pid ${first.child.pid}`);
      expect(second.output).toContain(`API on port ${httpPort}, PostgreSQL on port 54331`);
      expect(second.output).not.toContain('orphaned');

      // A CLI given another EMBEDDED_PG_PORT works on the running instance's database and leaves it running.
      const cli = await runToExit(spawnTs(['src/cli/rapport.ts', 'analytics'], { EMBEDDED_PG_PORT: '54332' }));
      expect(cli.output).toContain('using the embedded PostgreSQL of the running instance');
      expect(cli.code).toBe(0);

      expect((await fetch(first.url.replace(/\/graphql$/, '/readyz'))).status).toBe(200);
      expect(await countCustomers(first)).toBe(40);
    } finally {
      expect(await stop(first)).toBe(0);
    }
    expect(fs.existsSync(path.join(dataRoot, 'pg', 'rapport.lock'))).toBe(false);
  }, 480_000);

  it('a PostgreSQL whose owner was killed is an orphan: the next start stops it and takes over', async () => {
    const first = await start();
    await new Promise<void>((resolve) => {
      first.child.on('exit', () => resolve());
      first.child.kill('SIGKILL');
    });
    expect(postgresRunningOn(path.join(dataRoot, 'pg'))).toBe(true);

    const next = await start();
    try {
      expect(next.logs.join('\n')).toContain(`its owner (pid ${first.child.pid}) is gone; shutting it down first`);
      expect(await countCustomers(next)).toBe(40);
    } finally {
      expect(await stop(next)).toBe(0);
    }
    expect(postgresRunningOn(path.join(dataRoot, 'pg'))).toBe(false);
  }, 480_000);
});
