import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { currentSqlStats, runWithSqlStats, type SqlStats } from './sql-counter';
import type { IngestionCounters } from './ingestion-metrics';

/**
 * What one HTTP request carries from its first middleware to its access-log line: its id, and what
 * GraphQL execution learns about it (operation, viewer role, error codes, SQL statements).
 *
 * It is the request's SQL counter too (it extends SqlStats), so one AsyncLocalStorage serves both:
 * everything that runs on behalf of the request (resolvers, loaders, formatError, plugins) finds it
 * with `currentRequestScope()`. It also lives in `res.locals`, from which it is re-entered where
 * Node loses the async context (after the body is read, in error handlers).
 */
export interface RequestScope extends SqlStats {
  requestId: string;
  /** process.hrtime.bigint() when the request arrived. */
  startedAt: bigint;
  /** Passed the HTTP intake (rate limit, body) and was handed to Apollo. */
  reachedApollo: boolean;
  /** Apollo started processing an operation for this request (context created). */
  graphql: boolean;
  /** The operation's name as resolved from the document (null: anonymous); undefined: not reached. */
  operationName?: string | null;
  /** The viewer's role (never the subject or the token), once authenticated. */
  role?: string;
  /** extensions.code of every error this request answered with. */
  errorCodes: string[];
  /** This server's ingestion counters (METRICS on): the ingestion core counts into them. */
  ingestion?: IngestionCounters;
}

const LOCALS_KEY = 'rapportScope';

/** Longest accepted request id. */
export const REQUEST_ID_MAX = 64;

/**
 * A client-supplied X-Request-Id, made safe to log and to echo in a header: only letters, digits and
 * `. _ : = -` are kept, at most 64 characters. Nothing left (absent, empty, or only other characters):
 * undefined, and the caller generates one.
 */
export function sanitizeRequestId(raw: string | string[] | undefined): string | undefined {
  const value = Array.isArray(raw) ? raw[0] : raw;
  if (typeof value !== 'string') return undefined;
  const clean = value.slice(0, 4 * REQUEST_ID_MAX).replace(/[^A-Za-z0-9._:=-]/g, '').slice(0, REQUEST_ID_MAX);
  return clean || undefined;
}

export function newRequestScope(incomingId: string | string[] | undefined): RequestScope {
  return { requestId: sanitizeRequestId(incomingId) ?? randomUUID(), startedAt: process.hrtime.bigint(), reachedApollo: false, graphql: false, errorCodes: [], statements: 0 };
}

export function attachScope(res: Response, scope: RequestScope): void {
  res.locals[LOCALS_KEY] = scope;
}

export function scopeOf(res: Response): RequestScope | undefined {
  return res.locals[LOCALS_KEY] as RequestScope | undefined;
}

export function runInScope<T>(scope: RequestScope, fn: () => T): T {
  return runWithSqlStats(scope, fn);
}

function isRequestScope(s: SqlStats | undefined): s is RequestScope {
  return !!s && typeof (s as Partial<RequestScope>).requestId === 'string';
}

/** The scope of the request this code runs for, if any. */
export function currentRequestScope(): RequestScope | undefined {
  const s = currentSqlStats();
  return isRequestScope(s) ? s : undefined;
}
