import { AsyncLocalStorage } from 'node:async_hooks';
import { Client } from 'pg';

export interface SqlStats {
  statements: number;
}

const storage = new AsyncLocalStorage<SqlStats>();
let installed = false;

/**
 * Counts every statement sent to PostgreSQL on behalf of the current request (the N+1 guard and
 * the per-operation SQL metric). Patches pg's Client.query once; outside a request it costs one lookup.
 */
export function installSqlCounter(): void {
  if (installed) return;
  installed = true;
  const original = Client.prototype.query;
  Client.prototype.query = function patchedQuery(this: Client, ...args: unknown[]) {
    const stats = storage.getStore();
    if (stats) stats.statements++;
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof Client.prototype.query;
}

export function runWithSqlStats<T>(stats: SqlStats, fn: () => T): T {
  return storage.run(stats, fn);
}

export function currentSqlStats(): SqlStats | undefined {
  return storage.getStore();
}
