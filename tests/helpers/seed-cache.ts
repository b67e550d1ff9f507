import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = path.join(__dirname, '..', '..');

/**
 * Where the resilience tests keep their PostgreSQL clusters and seeds: /dev/shm (tmpfs) when there is one,
 * else the OS temp folder. Copying a 50 MB cluster took 1.8 s on this machine's ext4 beside other work and
 * 0.3 s on tmpfs. Those tests stop, restart, freeze and replicate PostgreSQL processes, whose data
 * outlives them on either (the machine itself never goes down in a test).
 */
export function scratchDir(): string {
  try {
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/** A digest of the migrations (names and contents): a seed made under other migrations is another seed. */
export function migrationsKey(...more: string[]): string {
  const h = crypto.createHash('sha256');
  const dir = path.join(root, 'migrations');
  for (const f of fs.readdirSync(dir).sort()) h.update(f).update('\0').update(fs.readFileSync(path.join(dir, f))).update('\0');
  for (const m of more) h.update(m).update('\0');
  return h.digest('hex').slice(0, 16);
}

/**
 * Fills `dest` (which must not exist) with a copy of a folder that `build` makes once per `name` and
 * `key`, kept in `scratchDir()` across test runs: the PostgreSQL clusters of the resilience tests,
 * initialised and migrated, which otherwise cost each file an initdb and every migration (seconds).
 * `cp -a` keeps the owner (the clusters' files belong to the `postgres` user when tests run as root)
 * and modes. Runs side by side may both build; the first rename wins, the other copy is dropped. Seeds
 * of the same name unused for a day, and build folders of it older than a day, are removed.
 */
export async function copySeed(name: string, key: string, build: (dir: string) => Promise<void>, dest: string): Promise<void> {
  // `build` makes `<work>/data` (which does not exist yet); `dest` (which must not exist) becomes its copy.
  const tmp = scratchDir();
  const seed = path.join(tmp, `rapport-seed-${name}-${key}`);
  if (!fs.existsSync(path.join(seed, 'READY'))) {
    const work = fs.mkdtempSync(path.join(tmp, `rapport-seed-build-${name}-`));
    fs.chmodSync(work, 0o755);
    try {
      await build(path.join(work, 'data'));
      fs.writeFileSync(path.join(work, 'READY'), '');
      try {
        fs.renameSync(work, seed);
      } catch {
        // Another run made it meanwhile (or a half-made one is in the way: dropped, to be made next time).
        if (!fs.existsSync(path.join(seed, 'READY'))) fs.rmSync(seed, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  const now = new Date();
  fs.utimesSync(seed, now, now);
  // Other seeds of this name, and build folders a run killed while building left behind.
  for (const other of fs.readdirSync(tmp).filter((d) => (d.startsWith(`rapport-seed-${name}-`) || d.startsWith(`rapport-seed-build-${name}-`)) && path.join(tmp, d) !== seed)) {
    const p = path.join(tmp, other);
    try {
      if (now.getTime() - fs.statSync(p).mtimeMs > 86_400_000) fs.rmSync(p, { recursive: true, force: true });
    } catch {
      // gone meanwhile
    }
  }
  await run('cp', ['-a', path.join(seed, 'data'), dest]);
}
