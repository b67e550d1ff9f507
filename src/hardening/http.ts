import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { GraphQLError } from 'graphql';
import type { Logger } from '../logger';
import { stopWork, type RequestWork } from './budget';

/**
 * An error answered outside GraphQL execution (rate limit, body too large, bad JSON, timeout), in
 * the GraphQL-over-HTTP shape clients already parse: `{ errors: [{ message, extensions: { code } }] }`.
 */
export function sendGraphQLError(res: Response, status: number, code: string, message: string, extensions: Record<string, unknown> = {}): void {
  if (res.headersSent) return;
  res.status(status);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.end(JSON.stringify({ errors: [{ message, extensions: { code, ...extensions } }] }));
}

interface BodyParserError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
}

/**
 * Turns errors from the body parser (and anything else thrown before or around Apollo) into JSON
 * GraphQL errors. Without it Express answers with an HTML page that, outside production, carries the
 * stack trace and file paths.
 */
export function jsonErrorHandler(logger: Logger, bodyLimitBytes: number): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    // Already answered (e.g. the request timed out and Apollo finished late): nothing left to say.
    if (res.headersSent || res.locals.rapportTimedOut) {
      if (!res.locals.rapportTimedOut) next(err);
      return;
    }
    const e = (err ?? {}) as BodyParserError;
    const status = e.status ?? e.statusCode;
    switch (e.type) {
      case 'entity.too.large':
        return sendGraphQLError(res, 413, 'PAYLOAD_TOO_LARGE', `the request body is larger than the limit of ${bodyLimitBytes} bytes`, { maxBytes: bodyLimitBytes });
      case 'entity.parse.failed':
        return sendGraphQLError(res, 400, 'BAD_REQUEST', 'the request body is not valid JSON (an object with a query is expected)');
      case 'encoding.unsupported':
        return sendGraphQLError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported content encoding (use identity, gzip, deflate or br)');
      case 'charset.unsupported':
        return sendGraphQLError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'unsupported charset (use utf-8)');
      case 'request.aborted':
        return sendGraphQLError(res, 400, 'BAD_REQUEST', 'the request was aborted');
      default:
        break;
    }
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return sendGraphQLError(res, status, 'BAD_REQUEST', 'the request could not be read');
    }
    logger.error({ err, method: req.method, url: req.originalUrl }, 'unhandled error in an HTTP handler');
    return sendGraphQLError(res, 500, 'INTERNAL_SERVER_ERROR', 'Internal server error');
  };
}

/**
 * Answers 503 `REQUEST_TIMEOUT` when a request has not been answered within `ms` (0: no limit), and
 * stops its work (see `requestWork`): its running statements are cancelled in PostgreSQL, every
 * field not yet resolved fails at once, and the late answer is discarded.
 */
export function requestTimeout(ms: number, logger: Logger): RequestHandler {
  return (req, res, next) => {
    if (!ms) return next();
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      logger.warn({ method: req.method, url: req.originalUrl, ms }, 'request timed out');
      const message = `the request was not answered within ${ms} ms and was abandoned; ask for less or retry later`;
      sendGraphQLError(res, 503, 'REQUEST_TIMEOUT', message);
      res.locals.rapportTimedOut = true;
      const work = res.locals.rapportWork as RequestWork | undefined;
      if (work) stopWork(work, new GraphQLError(message, { extensions: { code: 'REQUEST_TIMEOUT' } }));
    }, ms);
    timer.unref();
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}

/** Deepest JSON nesting a request body may have (variables, extensions): far beyond any real input. */
export const MAX_BODY_DEPTH = 100;

/**
 * One step of the iterative walks over request input (here and in input.ts): pushes `v`'s object-valued
 * children (array items, or own enumerable property values, in order) onto `values`, each with `depth`
 * onto `depths`, and answers how many children `v` has. Two stacks side by side rather than a
 * [value, depth] pair per object, and keys read in place rather than copied (Object.values): these walks
 * run over every request body and its variables (an ingestEvents batch: thousands of objects).
 */
export function pushObjectChildren(v: object, depth: number, values: object[], depths: number[]): number {
  if (Array.isArray(v)) {
    for (let n = 0; n < v.length; n++) {
      const child: unknown = v[n];
      if (child !== null && typeof child === 'object') {
        values.push(child);
        depths.push(depth);
      }
    }
    return v.length;
  }
  let children = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    children++;
    const child: unknown = (v as Record<string, unknown>)[k];
    if (child !== null && typeof child === 'object') {
      values.push(child);
      depths.push(depth);
    }
  }
  return children;
}

/** Whether `value` nests deeper than `limit` (iterative: a hostile body cannot exhaust the stack here). */
export function nestsDeeperThan(value: unknown, limit: number): boolean {
  const values: object[] = [];
  const depths: number[] = [];
  if (value !== null && typeof value === 'object') {
    values.push(value);
    depths.push(0);
  }
  while (values.length) {
    const v = values.pop()!;
    const depth = depths.pop()!;
    if (depth + 1 > limit) return true;
    pushObjectChildren(v, depth + 1, values, depths);
  }
  return false;
}

/**
 * Refuses a body nested deeper than MAX_BODY_DEPTH with 400: recursive code further on (JSON.stringify
 * of a JSON scalar, graphql-js value coercion) would otherwise overflow the stack on it.
 */
export function bodyDepthLimit(limit = MAX_BODY_DEPTH): RequestHandler {
  return (req, res, next) => {
    if (req.body && typeof req.body === 'object' && nestsDeeperThan(req.body, limit)) {
      return sendGraphQLError(res, 400, 'BAD_REQUEST', `the request body nests deeper than ${limit} levels`, { maxDepth: limit });
    }
    return next();
  };
}

/** `1mb`, `512kb`, `2048` (bytes) → bytes. */
export function parseByteSize(raw: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(raw);
  if (!m) return undefined;
  const unit = (m[2] ?? 'b').toLowerCase();
  const factor = unit === 'gb' ? 1024 ** 3 : unit === 'mb' ? 1024 ** 2 : unit === 'kb' ? 1024 : 1;
  return Math.floor(Number(m[1]) * factor);
}
