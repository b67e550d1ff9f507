import { createHash, timingSafeEqual } from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { ApolloServerPlugin } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { installSqlCounter } from './sql-counter';
import { attachScope, currentRequestScope, newRequestScope, runInScope, scopeOf, type RequestScope } from './request-scope';
import { RapportMetrics, codeLabel, methodLabel, operationLabel, routeLabel, type PoolLike } from './metrics';

export { currentRequestScope, sanitizeRequestId, type RequestScope } from './request-scope';
export { RapportMetrics, operationLabel, routeLabel, codeLabel } from './metrics';

export const REQUEST_ID_HEADER = 'X-Request-Id';

type FormatError = (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;

export interface Observability {
  /** Wraps the server's logger: lines logged on behalf of a request carry its `requestId`. */
  logger: Logger;
  /** First middleware: request id (echoed as X-Request-Id), scope, one access-log line and the HTTP metric at the end. */
  requestStart: RequestHandler;
  /** Right before Apollo: re-enters the request scope (reading the body loses the async context). */
  graphqlScope: RequestHandler;
  /** Before the final error handler: re-enters the scope so that what it logs carries the request id. */
  errorScope: ErrorRequestHandler;
  /** Operation name, duration, SQL statements per operation. */
  apolloPlugin: ApolloServerPlugin;
  /** Wraps formatError: counts each error's code for the request (metric and log line). */
  formatError(base: FormatError): FormatError;
  /** GET /metrics (undefined when METRICS=off). */
  metricsHandler?: RequestHandler;
  /** The request id of this response (the same one the GraphQL context gets). */
  requestIdOf(res: Response): string | undefined;
  /** Records the viewer's role (only the role) for the log line. */
  noteViewer(res: Response, viewer: { role: string } | null): void;
  metrics?: RapportMetrics;
}

export interface ObservabilityOptions {
  config: Pick<Config, 'metrics' | 'metricsToken'>;
  logger: Logger;
  /** Its knex pool feeds the db_pool_* gauges. */
  orm?: MikroORM;
}

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace']);

/**
 * A logger whose level methods add the current request's id (from the request scope) to what they
 * log, unless the call already gives one. Outside a request it is the logger itself.
 */
export function requestAwareLogger(base: Logger): Logger {
  return new Proxy(base, {
    get(target, prop) {
      if (typeof prop === 'string' && LEVELS.has(prop)) {
        return (...args: unknown[]) => {
          const scope = currentRequestScope();
          const first = args[0];
          const hasId = !!first && typeof first === 'object' && !(first instanceof Error) && 'requestId' in first;
          const into = scope && !hasId ? target.child({ requestId: scope.requestId }) : target;
          return (into[prop as 'info'] as (...a: unknown[]) => void)(...args);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function poolOf(orm: MikroORM | undefined): () => PoolLike | undefined {
  return () => {
    if (!orm) return undefined;
    try {
      const pool = (orm.em.getConnection().getKnex() as unknown as { client?: { pool?: PoolLike } }).client?.pool;
      return pool && typeof pool.numUsed === 'function' ? pool : undefined;
    } catch {
      return undefined;
    }
  };
}

/** Codes of the errors in a small JSON error body answered outside Apollo (hardening: 413, 429, 503…). */
function codesInBody(chunk: unknown): string[] {
  const text = typeof chunk === 'string' ? chunk : Buffer.isBuffer(chunk) ? chunk.toString('utf8') : undefined;
  if (!text || text.length > 16_384 || !text.includes('"errors"')) return [];
  try {
    const body = JSON.parse(text) as { errors?: Array<{ extensions?: { code?: unknown } }> };
    return Array.isArray(body.errors) ? body.errors.map((e) => codeLabel(e?.extensions?.code)) : [];
  } catch {
    return [];
  }
}

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function pathOf(req: Request): string {
  const url = req.originalUrl || req.url || '/';
  const q = url.indexOf('?');
  return (q === -1 ? url : url.slice(0, q)).slice(0, 200);
}

/** Request ids, structured access logs and Prometheus metrics: README "Observability". */
export function createObservability({ config, logger, orm }: ObservabilityOptions): Observability {
  installSqlCounter();
  const metrics = config.metrics ? new RapportMetrics(poolOf(orm)) : undefined;

  const finish = (req: Request, res: Response, scope: RequestScope) => {
    const durationS = Number(process.hrtime.bigint() - scope.startedAt) / 1e9;
    const path = pathOf(req);
    const route = routeLabel(path);
    const aborted = !res.writableFinished;
    const status = res.statusCode;
    const isGraphql = route === '/graphql';
    const operation = isGraphql ? operationLabel(scope.operationName) : undefined;
    if (metrics) {
      metrics.httpRequests.inc({ method: methodLabel(req.method), route, status: String(status) });
      if (isGraphql) {
        if (scope.reachedApollo) metrics.graphqlDuration.observe({ operation: operation! }, durationS);
        if (scope.graphql) metrics.graphqlSql.observe({ operation: operation! }, scope.statements);
        for (const code of scope.errorCodes) metrics.graphqlErrors.inc({ code });
      }
    }
    const line: Record<string, unknown> = {
      requestId: scope.requestId,
      method: req.method,
      path,
      status,
      durationMs: Math.round(durationS * 1e4) / 10,
    };
    if (isGraphql) {
      line.operationName = operation;
      line.role = scope.role ?? 'anonymous';
      if (scope.graphql) line.sqlStatements = scope.statements;
      if (scope.errorCodes.length) line.errorCodes = [...new Set(scope.errorCodes)];
    }
    if (aborted) line.aborted = true;
    const level = status >= 500 ? 'error' : 'info';
    logger[level](line, aborted ? 'request aborted by the client' : 'request completed');
  };

  const requestStart: RequestHandler = (req, res, next) => {
    const scope = newRequestScope(req.headers['x-request-id']);
    // The ingestion core counts what it stored for this request here (ingestion-metrics.ts).
    if (metrics) scope.ingestion = metrics.ingestion;
    attachScope(res, scope);
    res.setHeader(REQUEST_ID_HEADER, scope.requestId);
    let done = false;
    res.once('close', () => {
      if (done) return;
      done = true;
      try {
        finish(req, res, scope);
      } catch (err) {
        logger.error({ err, requestId: scope.requestId }, 'could not record the request');
      }
    });
    // Errors answered outside Apollo (rate limit, body too large, timeout…) are counted from their body.
    if (routeLabel(pathOf(req)) === '/graphql') {
      const end = res.end.bind(res) as (...a: unknown[]) => Response;
      res.end = ((...args: unknown[]) => {
        if (!scope.graphql && scope.errorCodes.length === 0 && res.statusCode >= 400) scope.errorCodes.push(...codesInBody(args[0]));
        return end(...args);
      }) as Response['end'];
    }
    runInScope(scope, next);
  };

  const graphqlScope: RequestHandler = (_req, res, next) => {
    const scope = scopeOf(res);
    if (scope) scope.reachedApollo = true;
    if (scope) runInScope(scope, next);
    else next();
  };

  const errorScope: ErrorRequestHandler = (err, _req, res, next) => {
    const scope = scopeOf(res);
    if (scope) runInScope(scope, () => next(err));
    else next(err);
  };

  const apolloPlugin: ApolloServerPlugin = {
    async requestDidStart() {
      const scope = currentRequestScope();
      if (scope) scope.graphql = true;
      return {
        async didResolveOperation(ctx) {
          if (scope) scope.operationName = ctx.operationName;
        },
        async willSendResponse(ctx) {
          if (scope) scope.operationName = ctx.operationName ?? ctx.request.operationName ?? null;
        },
      };
    },
  };

  const formatError = (base: FormatError): FormatError => (formatted, error) => {
    const out = base(formatted, error);
    currentRequestScope()?.errorCodes.push(codeLabel(out.extensions?.code));
    return out;
  };

  let metricsHandler: RequestHandler | undefined;
  if (metrics) {
    const expected = config.metricsToken ? digest(config.metricsToken) : undefined;
    metricsHandler = async (req, res) => {
      if (expected) {
        const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
        if (!m || !timingSafeEqual(digest(m[1]), expected)) {
          res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"').json({ error: 'metrics require Authorization: Bearer <METRICS_TOKEN>' });
          return;
        }
      }
      try {
        const body = await metrics.registry.metrics();
        res.setHeader('Content-Type', metrics.registry.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.end(body);
      } catch (err) {
        logger.error({ err }, 'could not collect metrics');
        res.status(500).json({ error: 'metrics unavailable' });
      }
    };
  }

  return {
    logger: requestAwareLogger(logger),
    requestStart,
    graphqlScope,
    errorScope,
    apolloPlugin,
    formatError,
    metricsHandler,
    requestIdOf: (res) => scopeOf(res)?.requestId,
    noteViewer: (res, viewer) => {
      const scope = scopeOf(res);
      if (scope) scope.role = viewer ? viewer.role : 'anonymous';
    },
    metrics,
  };
}
