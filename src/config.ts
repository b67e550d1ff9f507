import path from 'node:path';

export interface Config {
  env: 'development' | 'test' | 'production';
  host: string;
  port: number;
  /** Unset: start an embedded PostgreSQL keeping its data in `dataDir`. */
  databaseUrl?: string;
  dataDir: string;
  embeddedPgPort: number;
  /** Seed demo data when the database has no customers yet. */
  seedDemo: boolean;
  demoCustomers: number;
  dbPoolMax: number;
  /** Adds `extensions.sqlStatements` to every response; for tests and diagnostics. */
  exposeSqlCount: boolean;
  /** Largest `first` a connection accepts. */
  maxPageSize: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  /** HS256 secret for bearer tokens. In development a fixed, well-known secret is used when unset. */
  jwtSecret?: string;
  /** Verify bearer tokens against this JWKS instead of a shared secret. */
  jwksUrl?: string;
  jwtIssuer?: string;
  jwtAudience?: string;
}

/** Development only: lets `npm start` print a working admin token. Refused in production. */
export const DEV_JWT_SECRET = 'rapport-development-secret-do-not-use-in-production';

class ConfigError extends Error {}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new ConfigError(`${name} must be an integer in [${min}, ${max}], got "${raw}"`);
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
    host: env.HOST || '127.0.0.1',
    port: intVar(env, 'PORT', 4000, 0, 65535),
    databaseUrl,
    dataDir: path.resolve(env.RAPPORT_DATA_DIR || '.data/postgres'),
    embeddedPgPort: intVar(env, 'EMBEDDED_PG_PORT', 54329, 1024, 65535),
    seedDemo: boolVar(env, 'SEED_DEMO', !databaseUrl),
    demoCustomers: intVar(env, 'DEMO_CUSTOMERS', 3000, 1, 1_000_000),
    dbPoolMax: intVar(env, 'DB_POOL_MAX', 10, 1, 200),
    exposeSqlCount: boolVar(env, 'EXPOSE_SQL_COUNT', nodeEnv !== 'production'),
    maxPageSize: intVar(env, 'MAX_PAGE_SIZE', 100, 1, 10_000),
    logLevel: oneOf(env, 'LOG_LEVEL', ['debug', 'info', 'warn', 'error', 'silent'] as const, nodeEnv === 'test' ? 'warn' : 'info'),
  };
}

export { ConfigError };
