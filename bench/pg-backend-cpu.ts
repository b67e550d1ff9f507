import fs from 'node:fs';
import type { Client } from 'pg';

/** CPU ticks per second of /proc/<pid>/stat (sysconf CLK_TCK: 100 on Linux). */
const CLK_TCK = 100;

/**
 * CPU seconds (user + system) the PostgreSQL backends of database `db` have used so far, by pid,
 * from /proc/<pid>/stat (PostgreSQL runs on this machine; bench:ingest and bench:api both use it).
 * `monitor`'s own backend is left out. A backend that is not visible counts 0.
 */
export async function backendCpu(monitor: Client, db: string): Promise<Map<number, number>> {
  const { rows } = await monitor.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()`, [db]);
  const out = new Map<number, number>();
  for (const { pid } of rows) {
    try {
      // Fields after the command name (which is in parentheses): utime and stime are the 12th and 13th.
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(pid, (Number(f[11]) + Number(f[12])) / CLK_TCK);
    } catch {
      out.set(pid, 0);
    }
  }
  return out;
}

/**
 * CPU seconds the backends of `db` used between `before` (a backendCpu snapshot) and now. A backend
 * that started in between counts from 0; one that ended in between is lost (the pools here keep
 * their connections while they are busy).
 */
export async function backendCpuSince(monitor: Client, db: string, before: Map<number, number>): Promise<number> {
  const now = await backendCpu(monitor, db);
  let s = 0;
  for (const [pid, t] of now) s += Math.max(0, t - (before.get(pid) ?? 0));
  return s;
}
