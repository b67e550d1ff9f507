import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import { print, type DocumentNode } from 'graphql';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { adminQuery, testDatabasePrefix, withDatabase } from './pg';
import { initOrm } from '../../src/db/orm';
import { createServer, type RapportServer } from '../../src/server';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { signToken } from '../../src/auth/jwt';
import { Role } from '../../src/auth/viewer';

export const TEST_JWT_SECRET = 'test-secret-that-is-at-least-32-characters-long';

export interface GraphQLResponse<T> {
  status: number;
  data?: T | null;
  errors?: Array<{ message: string; path?: Array<string | number>; extensions?: Record<string, unknown> }>;
  extensions?: { sqlStatements?: number } & Record<string, unknown>;
}

export interface TestApp {
  url: string;
  orm: MikroORM;
  config: Config;
  server: RapportServer;
  /** Sends an operation over HTTP as `role` (admin by default; null: no token). */
  gql<TData = any, TVars = Record<string, unknown>>( // eslint-disable-line @typescript-eslint/no-explicit-any
    doc: TypedDocumentNode<TData, TVars> | DocumentNode | string,
    variables?: TVars,
    opts?: { role?: Role | null; token?: string; customerId?: string },
  ): Promise<GraphQLResponse<TData>>;
  tokenFor(role: Role, customerId?: string): Promise<string>;
  /** One SQL round trip on the test database. */
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * A database of this test file's own, cloned from the migrated template, with `synchronous_commit = off`:
 * a commit returns before its WAL reaches the disk. An fsync costs about 3 ms on this machine against
 * 0.4 ms without (500 one-row commits), and a suite run makes tens of thousands of commits (each
 * mutation, each audit row), while no test crashes this PostgreSQL: what a crash must not lose is tested
 * on clusters of those tests' own (tests/resilience, tests/helpers/pg-cluster.ts), at the default.
 * Its name starts with the run's prefix (`testDatabasePrefix`). `drop()` ends the file's claim on it: within a jest run the drop itself
 * is left to globalTeardown, which drops all of the run's databases at once, because DROP DATABASE waits
 * for a checkpoint (0.1–4 s here while the other worker writes, about 2 s a file on average, some 85 s of
 * a suite run); concurrent drops at the end share their checkpoints. A Stryker run (one jest run per
 * mutant, RAPPORT_TEST_KEEP_TEMPLATE) drops at once, as no teardown follows each mutant's files.
 */
export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = process.env.RAPPORT_TEST_ADMIN_URL;
  const template = process.env.RAPPORT_TEST_TEMPLATE;
  if (!adminUrl || !template) throw new Error('RAPPORT_TEST_ADMIN_URL unset: run tests through jest (globalSetup)');
  const name = `${testDatabasePrefix()}${randomBytes(6).toString('hex')}`;
  await adminQuery(adminUrl, `create database ${name} template ${template}`);
  await adminQuery(adminUrl, `alter database ${name} set synchronous_commit = off`);
  const deferred = !process.env.RAPPORT_TEST_KEEP_TEMPLATE;
  return {
    url: withDatabase(adminUrl, name),
    drop: deferred ? async () => {} : () => adminQuery(adminUrl, `drop database if exists ${name} with (force)`),
  };
}

export async function startTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, EXPOSE_SQL_COUNT: 'true', LOG_LEVEL: 'silent', ...env });
  const orm = await initOrm(db.url, { poolMax: 5 });
  const logger = createLogger(config);
  const server = await createServer({ orm, config, logger });
  const port = await server.listen(0, '127.0.0.1');
  const url = `http://127.0.0.1:${port}/graphql`;
  const tokens = new Map<string, string>();
  const tokenFor = async (role: Role, customerId?: string) => {
    const key = `${role}:${customerId ?? ''}`;
    if (!tokens.has(key)) tokens.set(key, await signToken(TEST_JWT_SECRET, { sub: `test-${role}`, role, customerId }));
    return tokens.get(key)!;
  };
  return {
    url,
    orm,
    config,
    server,
    tokenFor,
    async gql(doc, variables, opts = {}) {
      const role = opts.role === undefined ? Role.ADMIN : opts.role;
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      const token = opts.token ?? (role ? await tokenFor(role, opts.customerId) : undefined);
      if (token) headers.authorization = `Bearer ${token}`;
      const query = typeof doc === 'string' ? doc : print(doc);
      const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
      const body = (await res.json()) as GraphQLResponse<never>;
      return { ...body, status: res.status };
    },
    async sql(query, params = []) {
      return orm.em.fork().getConnection().execute(query, params) as never;
    },
    async close() {
      await server.close();
      await orm.close();
      await db.drop();
    },
  };
}
