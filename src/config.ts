import path from 'node:path';
import { parseByteSize } from './hardening/http';
import { parseMergePolicy, type MergePolicy } from './services/merge-policy';
import { Keyring, parsePseudonymKeys } from './auth/pseudonyms';
import { MIN_RETENTION_MONTHS } from './db/interaction-partitions';

export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  /** Unset: start an embedded PostgreSQL keeping its data in `dataDir`. */
  databaseUrl?: string;
  /** Streaming replicas that GraphQL queries read from (README "Scaling out"); empty: all on the primary. */
  databaseReplicaUrls: string[];
  /** Longest a query carrying X-Rapport-Min-LSN waits for a replica to catch up before reading from the primary, in ms. */
  replicaWaitMs: number;
  /** How often each replica's health and replay position are probed, in ms. */
  replicaProbeIntervalMs: number;
  dataDir: string;
  embeddedPgPort: number;
  /** Create DATABASE_URL's database when it does not exist (DB_CREATE, --create-database); else that is an error. */
  dbCreate: boolean;
  /** Seed demo data when the database has no customers yet. */
  seedDemo: boolean;
  demoCustomers: number;
  dbPoolMax: number;
  /** Batches of ingestEvents/import/tracking writing at once in this process (INGEST_CONCURRENT_BATCHES). */
  ingestConcurrentBatches: number;
  /** Adds `extensions.sqlStatements` to every response; for tests and diagnostics. */
  exposeSqlCount: boolean;
  /** READ_PLANNER: compile supported read root fields to one SQL statement each (README "Performance"). */
  readPlanner: boolean;
  /** Prometheus metrics at GET /metrics (README "Observability"). */
  metrics: boolean;
  /** When set, GET /metrics requires `Authorization: Bearer <this>`. */
  metricsToken?: string;
  /** Largest `first` a connection accepts. */
  maxPageSize: number;
  /**
   * SEGMENT_TRAIT_KEYS: trait keys that a role which may not read traits (marketing) may still use in
   * segment rules (README "Differentiate"); none by default. A trait condition is a way to read traits.
   */
  segmentTraitKeys: string[];
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** HS256 secret for bearer tokens. In development a fixed, well-known secret is used when unset. */
  jwtSecret?: string;
  /** Verify bearer tokens against this JWKS instead of a shared secret. */
  jwksUrl?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
  /** Longest a bearer token may still be valid, in seconds from now; tokens without `exp` are refused. */
  jwtMaxLifetimeSeconds: number;
  /** Serve GraphiQL at /playground (default: on outside production). */
  playground: boolean;
  /** Serve the customer-360 console at /console (default: on outside production). */
  console: boolean;
  /** Recompute metrics and segments every N minutes inside the server; 0 turns it off. */
  analyticsIntervalMinutes: number;
  /** IANA time zone whose calendar days are the purchase models' transactions (several orders on one day = one). */
  analyticsTimeZone: string;
  /** Cost to serve one order (fulfilment, payment, support), in minor units of the order's currency: margin CLV subtracts it per expected order. */
  analyticsCostToServeMinor: number;
  /** Monthly interaction partitions kept created ahead of the current month (at startup and each analytics tick). */
  interactionPartitionsAhead: number;
  /** Drop interaction months older than this many whole months (rolled up first); 0 keeps everything. */
  interactionRetentionMonths: number;
  // Production hardening (README "Limits").
  /** Deepest field nesting an operation may have (fragments expanded). */
  maxDepth: number;
  /** Aliases per operation. */
  maxAliases: number;
  /** Directive uses per operation. */
  maxDirectives: number;
  /** Static cost per operation: each field 1, a connection multiplies its selection by `first`. */
  maxCost: number;
  /** Repeated selections of one field in one selection set, per operation (`{ __typename __typename … }`). */
  maxDuplicateFields: number;
  /** List items one request may resolve (counted during execution; the request is stopped past it). */
  maxRows: number;
  /** Fields one request may resolve on list items (counted during execution). */
  maxResolvedFields: number;
  /** Lexical tokens per document (graphql-js parser stops past it: 400). */
  maxTokens: number;
  /** Who may introspect: everyone, no one, or authenticated staff only. */
  introspection: 'on' | 'off' | 'staff';
  /** Largest accepted request body, in bytes (413 past it). */
  bodyLimitBytes: number;
  /** Requests per minute per client key (JWT subject, API key, else IP); 0: off. */
  rateLimitPerMinute: number;
  /** Redis for the rate-limit counters, shared by instances; unset: in-memory per instance. */
  redisUrl?: string;
  /** Redis pub/sub channel of live updates (with `REDIS_URL`); instances sharing it see each other's events. */
  liveChannel: string;
  /** How often this instance relays segment and lifecycle events from the outbox to customerActivity subscribers, in ms; 0: never. */
  liveRelayPollMs: number;
  /** How often this instance announces lapsed time-limited consent grants (consent.changed, segment exits), in seconds; 0: never. */
  consentExpiryPollSeconds: number;
  /** How far back a round looks for lapsed grants not yet announced (an instance down longer misses older ones), in hours. */
  consentExpiryLookbackHours: number;
  /** Express "trust proxy": which X-Forwarded-For hops to trust for the client IP. */
  trustProxy: boolean | number | string;
  /** PostgreSQL statement_timeout of the server's connections, in ms; 0: none. */
  dbStatementTimeoutMs: number;
  /** Answer 503 REQUEST_TIMEOUT when a /graphql request is not answered within this, in ms; 0: none. */
  requestTimeoutMs: number;
  /** The Segment-compatible tracking API at /v1 and analytics.js (README "Tracking API"). */
  trackingApi: boolean;
  /** Serve the schema as an Apollo Federation 2 subgraph (README "Federation"). */
  federation: boolean;
  /** Path of a trusted-documents manifest (sha256 → document): only those operations run (README "Trusted documents"). */
  trustedDocuments?: string;
  /** MERGE_POLICY (JSON): automatic merges, identifier limits, junk values, source priority (README "Identity resolution and merges"). */
  mergePolicy: MergePolicy;
  /** PSEUDONYM_KEYS, newest first: keyed digests of erased identifiers and audit actors (README "Configuration"). */
  pseudonymKeys: Keyring;
  /** README "Webhooks": where deliveries run, and their retry schedule. */
  webhooks: WebhookConfig;
  /** README "Triggers": where the matcher and firings run, and the global frequency cap. */
  triggers: TriggerConfig;
}

export interface TriggerConfig {
  /** `inline`: this server matches the outbox against triggers and decides firings; `off`: a separate worker (npm run webhooks:worker) does. */
  worker: 'inline' | 'off';
  /** How often the matcher looks for outbox events to match, in ms. */
  pollMs: number;
  /** Global cap: firings of contacting actions (WEBHOOK, OFFER) per customer per window, over all triggers; 0: none. */
  capPerCustomer: number;
  /** The global cap's window, in hours. */
  capWindowHours: number;
  /** A cart event recorded when its abandonment deadline had passed longer ago than this (hours) is stale (an import of old history): skipped. */
  cartMaxLateHours: number;
  /** A firing decision still unfinished after this (a crashed instance) is retried, in seconds. */
  expireSeconds: number;
  /** A firing still scheduled this long after its due time (its jobs lost or out of retries) is put on the queue again, in seconds. */
  sweepAfterSeconds: number;
}

export interface WebhookConfig {
  /** `inline`: this server dispatches the outbox and sends deliveries; `off`: a separate worker (npm run webhooks:worker) does. */
  worker: 'inline' | 'off';
  /** Plain http:// endpoint URLs (development and tests); https only otherwise. */
  allowHttp: boolean;
  /** Refuse to send to loopback, private and link-local addresses (resolved at each attempt). */
  blockPrivateNetworks: boolean;
  /** How often the dispatcher looks for outbox events to fan out, in ms. */
  pollMs: number;
  /** Retries after the first attempt; with `retryDelaySeconds` and exponential backoff this spans about a day. */
  retryLimit: number;
  /** Base of the backoff, in seconds: retry n waits retryDelay × 2^n × (1 to 2, random). */
  retryDelaySeconds: number;
  /** Exponential backoff with jitter from `retryDelaySeconds` (pg-boss `retryBackoff`, at least 1 s); off: every retry waits `retryDelaySeconds`. */
  retryBackoff: boolean;
  /** Time allowed for one attempt (connect, send, answer), in ms. */
  attemptTimeoutMs: number;
  /** An attempt still unfinished after this (a crashed instance) is failed and retried, in seconds. */
  expireSeconds: number;
  /** Dead-lettered deliveries in a row that disable an endpoint. */
  disableAfterDeadLetters: number;
  /** pg-boss maintenance (expiring abandoned attempts), in seconds. */
  maintenanceSeconds: number;
  /** Outbox events consumed by every consumer are deleted once older than this, in hours (README "The outbox"). */
  outboxRetentionHours: number;
  /** How often the dispatcher prunes the outbox, in seconds. */
  outboxPruneIntervalSeconds: number;
  /** Rows deleted per pruning statement (each batch its own short transaction). */
  outboxPruneBatch: number;
  /** A pending delivery queued longer than this whose pg-boss job is gone is queued again, in seconds. */
  requeueAfterSeconds: number;
}

/** Development only: lets `npm start` print a working admin token. Refused in production. */
export const DEV_JWT_SECRET = 'rapport-development-secret-do-not-use-in-production';

class ConfigError extends Error {}

function timeZoneVar(env: NodeJS.ProcessEnv, name: string, fallback: string): string {
  const v = env[name] || fallback;
  try {
    new Intl.DateTimeFormat('en', { timeZone: v });
  } catch {
    throw new ConfigError(`${name} must be an IANA time zone such as Europe/Paris, got ${v}`);
  }
  return v;
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
  return n;
}

/** INTERACTION_RETENTION_MONTHS: 0 (default) keeps every interaction; otherwise at least MIN_RETENTION_MONTHS. */
function retentionVar(env: NodeJS.ProcessEnv): number {
  const n = intVar(env, 'INTERACTION_RETENTION_MONTHS', 0, 0, 1200);
  if (n !== 0 && n < MIN_RETENTION_MONTHS) {
    throw new ConfigError(`INTERACTION_RETENTION_MONTHS must be 0 (keep everything) or at least ${MIN_RETENTION_MONTHS} (inferred preferences read two years of views), got ${n}`);
  }
  return n;
}

function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new ConfigError(`${name} must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: NodeJS.ProcessEnv, name: string, allowed: readonly T[], fallback: T): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw)) throw new ConfigError(`${name} must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

function byteSizeVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = parseByteSize(raw);
  if (n === undefined || n < 1024) throw new ConfigError(`${name} must be a size of at least 1kb such as 512kb or 1mb, got "${raw}"`);
  return n;
}

function redisUrlVar(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.REDIS_URL;
  if (raw === undefined || raw === '') return undefined;
  if (!/^rediss?:\/\//.test(raw)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
  return raw;
}

function liveChannelVar(env: NodeJS.ProcessEnv): string {
  const raw = env.LIVE_CHANNEL;
  if (raw === undefined || raw === '') return 'rapport:live';
  if (!/^[\x21-\x7e]{1,200}$/.test(raw)) throw new ConfigError('LIVE_CHANNEL must be 1 to 200 visible ASCII characters without spaces');
  return raw;
}

/** TRUST_PROXY: false (default), true, a hop count, or addresses/subnets/loopback,uniquelocal… (Express syntax). */
function trustProxyVar(env: NodeJS.ProcessEnv): boolean | number | string {
  const raw = env.TRUST_PROXY;
  if (raw === undefined || raw === '' || /^(0|false|no|off)$/i.test(raw)) return false;
  if (/^(true|yes|on)$/i.test(raw)) return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  if (!/^[0-9a-zA-Z.:/,\s]+$/.test(raw)) throw new ConfigError(`TRUST_PROXY must be true, false, a hop count or a list of addresses, got "${raw}"`);
  return raw;
}

/** METRICS_TOKEN: unset, or a bearer token of 16 to 512 visible characters. */
function metricsTokenVar(env: NodeJS.ProcessEnv): string | undefined {
  const raw = env.METRICS_TOKEN;
  if (raw === undefined || raw === '') return undefined;
  if (!/^[\x21-\x7e]{16,512}$/.test(raw)) throw new ConfigError('METRICS_TOKEN must be 16 to 512 visible ASCII characters without spaces');
  return raw;
}

/** SEGMENT_TRAIT_KEYS: trait keys separated by commas or spaces, each 1 to 100 visible characters. */
function segmentTraitKeysVar(env: NodeJS.ProcessEnv): string[] {
  const raw = env.SEGMENT_TRAIT_KEYS;
  if (raw === undefined || raw.trim() === '') return [];
  const keys = raw.split(/[\s,]+/).filter(Boolean);
  for (const k of keys) if (!/^[\x21-\x7e]{1,100}$/.test(k)) throw new ConfigError(`SEGMENT_TRAIT_KEYS: "${k}" is not a trait key (1 to 100 visible characters, separated by commas or spaces)`);
  return [...new Set(keys)];
}

/** DATABASE_REPLICA_URLS: comma-separated postgres:// URLs of streaming replicas. */
function replicaUrlsVar(env: NodeJS.ProcessEnv): string[] {
  const raw = env.DATABASE_REPLICA_URLS;
  if (raw === undefined || raw.trim() === '') return [];
  const urls = raw.split(',').map((u) => u.trim()).filter(Boolean);
  for (const u of urls) if (!/^postgres(ql)?:\/\//.test(u)) throw new ConfigError('DATABASE_REPLICA_URLS must be comma-separated postgres:// URLs');
  return urls;
}

function mergePolicyVar(env: NodeJS.ProcessEnv): MergePolicy {
  try {
    return parseMergePolicy(env.MERGE_POLICY);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

function pseudonymKeysVar(env: NodeJS.ProcessEnv, production: boolean): Keyring {
  try {
    return new Keyring(parsePseudonymKeys(env.PSEUDONYM_KEYS, production));
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
}

/** Reads and validates the environment once; a bad value stops start-up with a clear message. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const nodeEnv = oneOf(env, 'NODE_ENV', ['development', 'test', 'production'] as const, 'development');
  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) throw new ConfigError('DATABASE_URL must be a postgres:// URL');
  const jwtSecret = env.JWT_SECRET || (nodeEnv === 'production' ? undefined : DEV_JWT_SECRET);
  const jwksUrl = env.JWT_JWKS_URL || undefined;
  if (nodeEnv === 'production' && !jwtSecret && !jwksUrl) throw new ConfigError('set JWT_SECRET or JWT_JWKS_URL in production');
  if (nodeEnv === 'production' && jwtSecret && jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters');
  return {
    env: nodeEnv,
    jwtSecret,
    jwksUrl,
    jwtIssuer: env.JWT_ISSUER || undefined,
    jwtAudience: env.JWT_AUDIENCE || undefined,
    jwtMaxLifetimeSeconds: intVar(env, 'JWT_MAX_LIFETIME_SECONDS', 24 * 3600, 60, 366 * 24 * 3600),
    playground: boolVar(env, 'PLAYGROUND', nodeEnv !== 'production'),
    console: boolVar(env, 'CONSOLE', nodeEnv !== 'production'),
    analyticsIntervalMinutes: intVar(env, 'ANALYTICS_INTERVAL_MINUTES', nodeEnv === 'test' ? 0 : 60, 0, 7 * 24 * 60),
    analyticsTimeZone: timeZoneVar(env, 'ANALYTICS_TIME_ZONE', 'UTC'),
    analyticsCostToServeMinor: intVar(env, 'ANALYTICS_COST_TO_SERVE_MINOR', 0, 0, 2_147_483_647),
    interactionPartitionsAhead: intVar(env, 'INTERACTION_PARTITIONS_AHEAD', 3, 0, 24),
    interactionRetentionMonths: retentionVar(env),
    host: env.HOST || '127.0.0.1',
    port: intVar(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    databaseReplicaUrls: replicaUrlsVar(env),
    replicaWaitMs: intVar(env, 'REPLICA_WAIT_MS', 250, 0, 60_000),
    replicaProbeIntervalMs: intVar(env, 'REPLICA_PROBE_INTERVAL_MS', 1000, 50, 600_000),
    dataDir: path.resolve(env.RAPPORT_DATA_DIR || '.data/postgres'),
    embeddedPgPort: intVar(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    dbCreate: boolVar(env, 'DB_CREATE', false),
    seedDemo: boolVar(env, 'SEED_DEMO', !databaseUrl),
    demoCustomers: intVar(env, 'DEMO_CUSTOMERS', 3000, 1, 1_000_000),
    dbPoolMax: intVar(env, 'DB_POOL_MAX', 10, 1, 200),
    ingestConcurrentBatches: intVar(env, 'INGEST_CONCURRENT_BATCHES', 8, 1, 200),
    exposeSqlCount: boolVar(env, 'EXPOSE_SQL_COUNT', nodeEnv !== 'production'),
    readPlanner: boolVar(env, 'READ_PLANNER', true),
    metrics: boolVar(env, 'METRICS', true),
    metricsToken: metricsTokenVar(env),
    maxPageSize: intVar(env, 'MAX_PAGE_SIZE', 100, 1, 10_000),
    segmentTraitKeys: segmentTraitKeysVar(env),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, nodeEnv === 'test' ? 'warn' : 'info'),
    maxDepth: intVar(env, 'MAX_DEPTH', 15, 1, 1000),
    maxAliases: intVar(env, 'MAX_ALIASES', 30, 0, 100_000),
    maxDirectives: intVar(env, 'MAX_DIRECTIVES', 50, 0, 100_000),
    maxCost: intVar(env, 'MAX_COST', 40_000, 1),
    maxDuplicateFields: intVar(env, 'MAX_DUPLICATE_FIELDS', 100, 0, 100_000),
    maxRows: intVar(env, 'MAX_ROWS', 20_000, 1),
    maxResolvedFields: intVar(env, 'MAX_RESOLVED_FIELDS', 100_000, 1),
    maxTokens: intVar(env, 'MAX_TOKENS', 5_000, 100, 10_000_000),
    introspection: oneOf(env, 'INTROSPECTION', ['on', 'off', 'staff'] as const, nodeEnv === 'production' ? 'off' : 'on'),
    bodyLimitBytes: byteSizeVar(env, 'BODY_LIMIT', 1024 * 1024),
    // Off in tests by default: the suites send many requests as one subject; tests/hardening turns it on.
    rateLimitPerMinute: intVar(env, 'RATE_LIMIT_PER_MINUTE', nodeEnv === 'test' ? 0 : 600, 0),
    redisUrl: redisUrlVar(env),
    liveChannel: liveChannelVar(env),
    liveRelayPollMs: intVar(env, 'LIVE_RELAY_POLL_MS', 1000, 0, 60_000),
    // Off in tests by default (they call sweepOnce): a background round would race their assertions.
    consentExpiryPollSeconds: intVar(env, 'CONSENT_EXPIRY_POLL_SECONDS', nodeEnv === 'test' ? 0 : 60, 0, 86_400),
    consentExpiryLookbackHours: intVar(env, 'CONSENT_EXPIRY_LOOKBACK_HOURS', 168, 1, 24 * 3650),
    trustProxy: trustProxyVar(env),
    dbStatementTimeoutMs: intVar(env, 'DB_STATEMENT_TIMEOUT_MS', 15_000, 0, 24 * 3_600_000),
    requestTimeoutMs: intVar(env, 'REQUEST_TIMEOUT_MS', 30_000, 0, 24 * 3_600_000),
    trackingApi: boolVar(env, 'TRACKING_API', true),
    federation: boolVar(env, 'FEDERATION', false),
    trustedDocuments: env.TRUSTED_DOCUMENTS ? path.resolve(env.TRUSTED_DOCUMENTS) : undefined,
    mergePolicy: mergePolicyVar(env),
    webhooks: {
      worker: oneOf(env, 'WEBHOOK_WORKER', ['inline', 'off'] as const, nodeEnv === 'test' ? 'off' : 'inline'),
      allowHttp: boolVar(env, 'WEBHOOK_ALLOW_HTTP', nodeEnv !== 'production'),
      blockPrivateNetworks: boolVar(env, 'WEBHOOK_BLOCK_PRIVATE_NETWORKS', nodeEnv === 'production'),
      pollMs: intVar(env, 'WEBHOOK_POLL_MS', 1000, 50, 60_000),
      retryLimit: intVar(env, 'WEBHOOK_RETRY_LIMIT', 12, 0, 50),
      retryDelaySeconds: intVar(env, 'WEBHOOK_RETRY_DELAY_SECONDS', 15, 0, 3600),
      retryBackoff: boolVar(env, 'WEBHOOK_RETRY_BACKOFF', true),
      attemptTimeoutMs: intVar(env, 'WEBHOOK_ATTEMPT_TIMEOUT_MS', 15_000, 100, 120_000),
      expireSeconds: intVar(env, 'WEBHOOK_EXPIRE_SECONDS', 60, 1, 3600),
      disableAfterDeadLetters: intVar(env, 'WEBHOOK_DISABLE_AFTER', 5, 1, 1000),
      maintenanceSeconds: intVar(env, 'WEBHOOK_MAINTENANCE_SECONDS', 30, 1, 3600),
      outboxRetentionHours: intVar(env, 'OUTBOX_RETENTION_HOURS', 168, 0, 24 * 3650),
      outboxPruneIntervalSeconds: intVar(env, 'OUTBOX_PRUNE_INTERVAL_SECONDS', 3600, 1, 7 * 86_400),
      outboxPruneBatch: intVar(env, 'OUTBOX_PRUNE_BATCH', 5000, 1, 1_000_000),
      requeueAfterSeconds: intVar(env, 'WEBHOOK_REQUEUE_AFTER_SECONDS', 3600, 1, 30 * 86_400),
    },
    triggers: {
      worker: oneOf(env, 'TRIGGER_WORKER', ['inline', 'off'] as const, nodeEnv === 'test' ? 'off' : 'inline'),
      pollMs: intVar(env, 'TRIGGER_POLL_MS', 1000, 50, 60_000),
      capPerCustomer: intVar(env, 'TRIGGER_CAP_PER_CUSTOMER', 3, 0, 1000),
      capWindowHours: intVar(env, 'TRIGGER_CAP_WINDOW_HOURS', 24, 1, 24 * 365),
      cartMaxLateHours: intVar(env, 'TRIGGER_CART_MAX_LATE_HOURS', 24, 0, 24 * 365),
      expireSeconds: intVar(env, 'TRIGGER_EXPIRE_SECONDS', 60, 1, 3600),
      sweepAfterSeconds: intVar(env, 'TRIGGER_SWEEP_AFTER_SECONDS', 4 * 3600, 2, 7 * 24 * 3600),
    },
    pseudonymKeys: pseudonymKeysVar(env, nodeEnv === 'production'),
  };
}

export { ConfigError };
