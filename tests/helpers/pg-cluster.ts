import fs from 'node:fs';
import path from 'node:path';
import net from 'node:net';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import crypto from 'node:crypto';
import { copySeed, scratchDir } from './seed-cache';

const run = promisify(execFile);

/**
 * Private PostgreSQL clusters from the machine's own binaries (Debian's postgresql-15: initdb,
 * pg_ctl, pg_basebackup), for tests that need a real primary and a real streaming replica.
 * PostgreSQL refuses to run as root, so as root every command runs as the `postgres` user.
 */
export function pgBinDir(): string | undefined {
  const dirs = fs.existsSync('/usr/lib/postgresql') ? fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
  for (const d of dirs) {
    const bin = path.join('/usr/lib/postgresql', d, 'bin');
    if (fs.existsSync(path.join(bin, 'pg_basebackup'))) return bin;
  }
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export interface PgCluster {
  dir: string;
  port: number;
  url(database?: string): string;
  /** psql-free SQL is done by the callers' own clients; these run the server's own tools. */
  start(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
}

async function asPostgres(bin: string, args: string[]): Promise<string> {
  const root = process.getuid?.() === 0;
  const [cmd, argv] = root ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  const { stdout } = await run(cmd, argv, { timeout: 120_000 });
  return stdout;
}

function cluster(bin: string, dir: string, port: number): PgCluster {
  const log = path.join(dir, '..', `${path.basename(dir)}.log`);
  return {
    dir,
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: async () => {
      await asPostgres(path.join(bin, 'pg_ctl'), ['-D', dir, '-l', log, '-w', '-t', '60', '-o', `-p ${port} -k ${path.dirname(dir)}`, 'start']);
    },
    stop: async (mode = 'fast') => {
      await asPostgres(path.join(bin, 'pg_ctl'), ['-D', dir, '-m', mode, '-w', '-t', '60', 'stop']).catch(() => undefined);
    },
  };
}

const PRIMARY_CONF = ["listen_addresses = '127.0.0.1'", 'wal_level = replica', 'max_wal_senders = 5', 'fsync = off', 'synchronous_commit = on', 'hot_standby = on', ''].join('\n');

async function initPrimary(bin: string, dir: string): Promise<void> {
  await asPostgres(path.join(bin, 'initdb'), ['-D', dir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  fs.appendFileSync(path.join(dir, 'postgresql.conf'), PRIMARY_CONF);
  fs.appendFileSync(path.join(dir, 'pg_hba.conf'), 'host replication all 127.0.0.1/32 trust\n');
}

/**
 * A primary set up for streaming replication, started, in a fresh temporary folder. `prepare`: a
 * cluster made once (seed-cache.ts, kept across runs while `prepareKey` and the binaries are the same),
 * started and handed to `prepare` (create and migrate databases), then copied for each caller.
 */
export async function startPrimary(bin: string, seed?: { key: string; prepare(c: PgCluster): Promise<void> }): Promise<PgCluster & { base: string }> {
  const base = fs.mkdtempSync(path.join(scratchDir(), 'rapport-repl-'));
  fs.chmodSync(base, 0o777);
  const dir = path.join(base, 'primary');
  if (!seed) await initPrimary(bin, dir);
  else {
    await copySeed('pg-primary', `${seed.key}-${crypto.createHash('sha256').update(`${bin}\0${PRIMARY_CONF}`).digest('hex').slice(0, 8)}`, async (seedDir) => {
      fs.chmodSync(path.dirname(seedDir), 0o777);
      await initPrimary(bin, seedDir);
      const c = cluster(bin, seedDir, await freePort());
      await c.start();
      try {
        await seed.prepare(c);
      } finally {
        await c.stop();
      }
    }, dir);
  }
  const c = cluster(bin, dir, await freePort());
  await c.start();
  return { ...c, base };
}

/** A streaming replica of `primary` (pg_basebackup -R), started. */
export async function startReplica(bin: string, primary: PgCluster & { base: string }): Promise<PgCluster> {
  const dir = path.join(primary.base, 'replica');
  await asPostgres(path.join(bin, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dir, '-R', '-X', 'stream', '-c', 'fast', '--no-sync']);
  const c = cluster(bin, dir, await freePort());
  await c.start();
  return c;
}

export function removeClusterDir(base: string): void {
  fs.rmSync(base, { recursive: true, force: true });
}
