import pino from 'pino';
import type { MikroORM } from '@mikro-orm/postgresql';
import { createTestDatabase, TEST_JWT_SECRET } from '../helpers/test-server';
import { initOrm } from '../../src/db/orm';
import { createServer, type RapportServer } from '../../src/server';
import { loadConfig, type Config } from '../../src/config';
import { signToken } from '../../src/auth/jwt';
import type { Role } from '../../src/auth/viewer';

export type LogLine = Record<string, unknown> & { level: number; msg?: string; requestId?: string };

export interface ObservedApp {
  base: string;
  orm: MikroORM;
  config: Config;
  server: RapportServer;
  /** Every line the server logged, parsed (pino JSON). */
  logs: LogLine[];
  /** The raw text of every line the server logged. */
  rawLogs: string[];
  token(role: Role, sub?: string): Promise<string>;
  /** POSTs an operation to /graphql; returns status, headers and the parsed body. */
  post(query: string, opts?: { variables?: Record<string, unknown>; operationName?: string; role?: Role | null; token?: string; headers?: Record<string, string> }): Promise<{ status: number; headers: Headers; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

/**
 * The real server on a database of this file's own, like tests/helpers/test-server.ts, but with a
 * logger whose lines the test can read (and any environment on top of the test defaults).
 */
export async function startObservedApp(env: Record<string, string> = {}): Promise<ObservedApp> {
  const db = await createTestDatabase();
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: db.url, JWT_SECRET: TEST_JWT_SECRET, EXPOSE_SQL_COUNT: 'true', LOG_LEVEL: 'info', ...env });
  const orm = await initOrm(db.url, { poolMax: 5 });
  const logs: LogLine[] = [];
  const rawLogs: string[] = [];
  const logger = pino(
    { level: 'info', base: { service: 'rapport' }, redact: ['req.headers.authorization', 'req.headers["x-api-key"]'] },
    {
      write(line: string) {
        rawLogs.push(line);
        logs.push(JSON.parse(line) as LogLine);
      },
    },
  );
  const server = await createServer({ orm, config, logger });
  const port = await server.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  const tokens = new Map<string, string>();
  const token = async (role: Role, sub = `obs-${role}`) => {
    const key = `${role}:${sub}`;
    if (!tokens.has(key)) tokens.set(key, await signToken(TEST_JWT_SECRET, { sub, role }));
    return tokens.get(key)!;
  };
  return {
    base,
    orm,
    config,
    server,
    logs,
    rawLogs,
    token,
    async post(query, opts = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json', ...opts.headers };
      const t = opts.token ?? (opts.role === null ? undefined : await token(opts.role ?? ('admin' as Role)));
      if (t) headers.authorization = `Bearer ${t}`;
      const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables: opts.variables, operationName: opts.operationName }) });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      return { status: res.status, headers: res.headers, body };
    },
    async close() {
      await server.close();
      await orm.close();
      await db.drop();
    },
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples. */
export function parseMetrics(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

/** The value of the one sample with this name whose labels include `labels` (0 when absent). */
export function valueOf(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  const hits = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (hits.length > 1) throw new Error(`${hits.length} samples of ${name} match ${JSON.stringify(labels)}`);
  return hits[0]?.value ?? 0;
}
