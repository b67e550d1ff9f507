import net from 'node:net';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, TEST_JWT_SECRET } from '../helpers/test-server';
import { initOrm } from '../../src/db/orm';
import { createServer, type RapportServer } from '../../src/server';
import { loadConfig, type Config } from '../../src/config';
import { createLogger } from '../../src/logger';
import { signToken } from '../../src/auth/jwt';
import type { Role } from '../../src/auth/viewer';

export interface RawResponse {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One POST of a GraphQL body (or any string/bytes) with the given headers; never throws on status. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const raw = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: raw as string });
  return read(res);
}

export async function read(res: Response): Promise<RawResponse> {
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token with a subject of its own (a rate-limit bucket of its own). */
export function tokenAs(role: Role, sub: string, customerId?: string): Promise<string> {
  return signToken(TEST_JWT_SECRET, { sub, role, customerId });
}

/**
 * Writes raw bytes to the server and returns everything it answers (Connection: close): for
 * requests fetch() refuses to send (odd request targets, broken encodings).
 */
export function rawHttp(port: number, request: Buffer | string, timeoutMs = 5000): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error('raw request timed out'));
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' || e.code === 'EPIPE' ? resolve(parse()) : reject(e)));
    socket.on('close', () => resolve(parse()));
    function parse() {
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      return { status: m ? Number(m[1]) : 0, text };
    }
  });
}

/** What no answer may ever contain: stack frames, file paths, SQL or driver text. */
export const LEAK_PATTERNS: RegExp[] = [
  /\bat [\w$.<>]+ \(/, // stack frame "at fn ("
  /\bat (?:async )?\/|\(\/[\w.-]+\//, // "at /path" or "(/path/"
  /node_modules/,
  /\/work\/|\/home\/|\/usr\/|\/tmp\//,
  /\.(?:ts|js):\d+/,
  /\bselect\b[\s\S]{1,200}\bfrom\b/i,
  /\binsert into\b|\bupdate \w+ set\b|\bdelete from\b/i,
  // Also JSON-escaped (relation \"x\").
  /syntax error at or near|violates [\w ]*constraint|duplicate key value|(?:relation|column) \\?"|canceling statement|statement timeout/i,
  /\bDriverException\b|\bPostgreSql\w*Exception\b|\bknex\b|\bMikroORM\b/,
  /<!DOCTYPE html>|<html/i,
];

export function leaks(text: string): RegExp | undefined {
  return LEAK_PATTERNS.find((re) => re.test(text));
}

export interface CustomApp {
  url: string;
  port: number;
  orm: MikroORM;
  config: Config;
  server: RapportServer;
  sql<T = Record<string, unknown>>(query: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/**
 * Like startTestApp, with options that helper does not take: the ORM's statement timeout (the
 * request pool `npm start` builds from DB_STATEMENT_TIMEOUT_MS).
 */
export async function startCustomApp(env: Record<string, string> = {}, opts: { statementTimeoutMs?: number } = {}): Promise<CustomApp> {
  const db = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, LOG_LEVEL: 'silent', ...env });
  const orm = await initOrm(db.url, { poolMax: 5, statementTimeoutMs: opts.statementTimeoutMs });
  const server = await createServer({ orm, config, logger: createLogger(config) });
  const port = await server.listen(0, '127.0.0.1');
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    orm,
    config,
    server,
    sql: (query, params = []) => orm.em.fork().getConnection().execute(query, params) as never,
    async close() {
      await server.close();
      await orm.close();
      await db.drop();
    },
  };
}
