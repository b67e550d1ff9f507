import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { ingestionCounters, type IngestionCounters } from './ingestion-metrics';

/**
 * Rapport's Prometheus metrics, in a registry of their own (never prom-client's global one, so that
 * two servers in one process, as in the tests, never share or double-register series).
 *
 * Every label value is bounded: routes and methods come from fixed lists, operation names must look
 * like GraphQL names of at most 64 characters, error codes like codes. Nothing a client sends (paths,
 * variables, tokens, ids) can become a label, so the series count stays bounded and /metrics carries
 * no personal data.
 */

/** The least a knex/tarn pool offers (MikroORM: `em.getConnection().getKnex().client.pool`). */
export interface PoolLike {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  max?: number;
}

const OPERATION_RE = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const CODE_RE = /^[A-Z][A-Z0-9_]{0,63}$/;
const METHODS = new Set(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

/** A name (≤ 64 characters, GraphQL name syntax) or "other"; no name at all: "anonymous". */
export function operationLabel(name: string | null | undefined): string {
  if (name === null || name === undefined || name === '') return 'anonymous';
  return OPERATION_RE.test(name) ? name : 'other';
}

export function codeLabel(code: unknown): string {
  return typeof code === 'string' && CODE_RE.test(code) ? code : 'other';
}

export function methodLabel(method: string): string {
  return METHODS.has(method) ? method : 'OTHER';
}

/** The route a path belongs to, from the fixed set this server serves; anything else: "other". */
export function routeLabel(path: string): string {
  if (path === '/graphql' || path === '/graphql/') return '/graphql';
  if (path === '/metrics' || path === '/healthz' || path === '/readyz' || path === '/') return path;
  if (path.startsWith('/playground/assets/')) return '/playground/assets';
  return 'other';
}

/** Seconds: most operations answer in milliseconds; the long tail up to the request timeout. */
const DURATION_BUCKETS = [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Statements per operation: a handful when batched; tens or more hint at an N+1. */
const SQL_BUCKETS = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144];

export class RapportMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly graphqlDuration: Histogram<'operation'>;
  readonly graphqlErrors: Counter<'code'>;
  readonly graphqlSql: Histogram<'operation'>;
  readonly ingestion: IngestionCounters;

  constructor(pool: () => PoolLike | undefined) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, route and status code.', labelNames: ['method', 'route', 'status'], registers });
    this.graphqlDuration = new Histogram({
      name: 'graphql_request_duration_seconds',
      help: 'Time from arrival to the last byte of GraphQL requests, by operation name ("anonymous" without one, "other" for names that are not plain GraphQL names of at most 64 characters).',
      labelNames: ['operation'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.graphqlErrors = new Counter({ name: 'graphql_errors_total', help: 'Errors in GraphQL responses, by extensions.code (also those answered before execution: 401, 413, 429…).', labelNames: ['code'], registers });
    this.graphqlSql = new Histogram({ name: 'graphql_sql_statements', help: 'SQL statements sent to PostgreSQL per executed GraphQL operation (audit writes included).', labelNames: ['operation'], buckets: SQL_BUCKETS, registers });
    this.ingestion = ingestionCounters(registers);
    const poolGauge = (name: string, help: string, read: (p: PoolLike) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          const p = pool();
          const v = p ? read(p) : undefined;
          if (typeof v === 'number' && Number.isFinite(v)) this.set(v);
        },
      });
    poolGauge('db_pool_connections_used', 'PostgreSQL connections of the request pool in use.', (p) => p.numUsed());
    poolGauge('db_pool_connections_free', 'PostgreSQL connections of the request pool open and idle.', (p) => p.numFree());
    poolGauge('db_pool_pending_acquires', 'Requests waiting for a PostgreSQL connection of the request pool.', (p) => p.numPendingAcquires());
    poolGauge('db_pool_connections_max', 'Size limit of the request pool (DB_POOL_MAX).', (p) => p.max);
  }
}
