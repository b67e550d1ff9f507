import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * One owner per embedded data directory: `rapport.lock` in it names the process that runs its
 * PostgreSQL (pid, the PostgreSQL port and, once listening, the API's port). A second instance reads
 * it and refuses at once instead of stopping a database that is in use.
 */
export interface LockOwner {
  pid: number;
  /** /proc start time of `pid`: a reused pid of some other process is not taken for the owner. */
  startTime?: string;
  hostname: string;
  pgPort: number;
  httpPort?: number;
  command: string;
  since: string;
}

export const LOCK_FILE = 'rapport.lock';

export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    super(
      `${dataDir} is in use by another Rapport instance: pid ${owner.pid} (${owner.command}` +
        `${owner.httpPort !== undefined ? `, API on port ${owner.httpPort}` : ''}, PostgreSQL on port ${owner.pgPort}, since ${owner.since}). ` +
        'Stop it first, or give this one another RAPPORT_DATA_DIR and EMBEDDED_PG_PORT.',
    );
  }
}

/** A process's start time in clock ticks since boot (field 22 of /proc/PID/stat); undefined without /proc. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    if (state === 'Z' || state === 'X') return false;
  } catch {
    /* no /proc: trust kill(0) */
  }
  return true;
}

/** The lock's owner if that process still lives (same pid, same start time, same host), else undefined. */
export function liveOwner(dataDir: string): LockOwner | undefined {
  const owner = readLock(dataDir);
  if (!owner) return undefined;
  if (owner.hostname !== os.hostname()) return owner; // cannot tell: a shared volume; stay safe
  if (!pidAlive(owner.pid)) return undefined;
  if (owner.startTime && processStartTime(owner.pid) !== owner.startTime) return undefined;
  return owner;
}

export function readLock(dataDir: string): LockOwner | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), 'utf8')) as LockOwner;
  } catch {
    return undefined; // none, or torn by a crash mid-write: the caller treats it as stale
  }
}

export interface DataDirLock {
  /** The lock the previous, dead owner left (its PostgreSQL may still run: an orphan). */
  previous?: LockOwner;
  /** Records the API's port once it listens, for the message a second instance prints. */
  setHttpPort(port: number): void;
  release(): void;
}

/**
 * Takes the data directory for this process, or throws DataDirInUseError naming the live owner.
 * A lock whose owner is dead is taken over (and returned as `previous`).
 */
export function acquireDataDirLock(dataDir: string, pgPort: number, command = process.argv.slice(1).map((a) => path.basename(a)).join(' ')): DataDirLock {
  const file = path.join(dataDir, LOCK_FILE);
  const me: LockOwner = { pid: process.pid, startTime: processStartTime(process.pid), hostname: os.hostname(), pgPort, command, since: new Date().toISOString() };
  let previous: LockOwner | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      // 'wx' fails if the file exists: of two instances starting at once, exactly one creates it.
      fs.writeFileSync(file, JSON.stringify(me), { flag: 'wx', mode: 0o644 });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 2) throw e;
    }
    const owner = liveOwner(dataDir);
    if (owner) throw new DataDirInUseError(dataDir, owner);
    previous = readLock(dataDir) ?? previous;
    fs.rmSync(file, { force: true });
  }
  const write = () => fs.writeFileSync(file, JSON.stringify(me));
  const release = () => {
    if (readLock(dataDir)?.pid === process.pid) fs.rmSync(file, { force: true });
    process.off('exit', release);
  };
  // A crash (uncaught error, process.exit) still frees the directory; only SIGKILL leaves a stale lock.
  process.on('exit', release);
  return {
    previous,
    setHttpPort(port) {
      me.httpPort = port;
      write();
    },
    release,
  };
}
