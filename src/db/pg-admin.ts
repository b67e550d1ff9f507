import { Client } from 'pg';

/** The same server, another database: for scratch databases (tests, benchmarks). */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export async function canConnect(url: string): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => {});
  }
}

/** One statement on its own connection (CREATE/DROP DATABASE cannot run inside a transaction). */
export async function adminQuery(adminUrl: string, sql: string): Promise<void> {
  const c = new Client({ connectionString: adminUrl });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** What a connection URL names, without its password: for messages. */
export function describeTarget(url: string): string {
  const u = new URL(url);
  return `host ${decodeURIComponent(u.hostname) || 'localhost'}, port ${u.port || '5432'}, database "${decodeURIComponent(u.pathname.slice(1)) || 'postgres'}", user ${decodeURIComponent(u.username) || '(default)'}`;
}

export class DatabaseUnavailableError extends Error {}

const CONNECT_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is PostgreSQL running there?',
  ENOTFOUND: 'no such host',
  EAI_AGAIN: 'the host name could not be resolved',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  '28P01': 'password authentication failed',
  '28000': 'the server refused this user',
};

/**
 * Checks, before the ORM touches it, that `url`'s database exists and answers. A missing database is
 * an error unless `create` (--create-database, DB_CREATE=true): MikroORM's migrator would otherwise
 * create and migrate an empty database under a mistyped name. Failures say what was tried, never the password.
 * Answers true when it created the database.
 */
export async function ensureDatabase(url: string, opts: { create: boolean }): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  try {
    await c.connect();
    return false;
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code !== '3D000') {
      const reason = CONNECT_CODES[code] ?? ((e as Error).message || code || 'unknown error');
      throw new DatabaseUnavailableError(`cannot connect to PostgreSQL (${describeTarget(url)}): ${reason}`);
    }
  } finally {
    await c.end().catch(() => {});
  }
  const database = decodeURIComponent(new URL(url).pathname.slice(1));
  if (!opts.create) {
    throw new DatabaseUnavailableError(
      `database "${database}" does not exist (${describeTarget(url)}). Check DATABASE_URL, or create it on purpose with --create-database (or DB_CREATE=true).`,
    );
  }
  try {
    await adminQuery(withDatabase(url, 'postgres'), `create database "${database.replace(/"/g, '""')}"`);
  } catch (e) {
    throw new DatabaseUnavailableError(`cannot create database "${database}" (${describeTarget(url)}): ${(e as Error).message}`);
  }
  return true;
}
