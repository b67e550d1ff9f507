import path from 'node:path';
import { defineConfig, PostgreSqlDriver } from '@mikro-orm/postgresql';
import { Migrator } from '@mikro-orm/migrations';
import { entities } from './entities';

// Same expression from src/*.ts (ts-node, ts-jest) and dist/src/*.js (compiled): the migrations
// folder beside it, as .ts or compiled .js.
const migrationsDir = path.join(__dirname, '..', 'migrations');

/**
 * `statementTimeoutMs` (> 0): PostgreSQL's statement_timeout for every connection of this pool (sent
 * at connect), so a runaway statement is cancelled by the server (SQLSTATE 57014).
 * `schemaSnapshot`: after applying migrations, introspect the database and write
 * `migrations/.snapshot-rapport.json`, the base `migration:create` diffs the entities against. Only the
 * MikroORM CLI does (the default export below): the server, the CLIs and the tests apply migrations
 * without it, so that a server start does not rewrite a file of its install folder (with whatever an
 * operator added to the database since, e.g. an index built by hand), and a test migrating to an
 * intermediate point does not leave the repository's tracked snapshot describing that point.
 */
export function createOrmConfig(clientUrl: string, overrides: { poolMax?: number; debug?: boolean; statementTimeoutMs?: number; schemaSnapshot?: boolean } = {}) {
  return defineConfig({
    driver: PostgreSqlDriver,
    clientUrl,
    entities,
    discovery: { requireEntitiesArray: true },
    // Every request works on its own fork; a stray use of the global EntityManager must fail loudly.
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: overrides.debug ?? false,
    pool: { min: 0, max: overrides.poolMax ?? 10 },
    ...(overrides.statementTimeoutMs ? { driverOptions: { connection: { statement_timeout: overrides.statementTimeoutMs } } } : {}),
    extensions: [Migrator],
    preferTs: __filename.endsWith('.ts'),
    migrations: {
      path: migrationsDir,
      pathTs: migrationsDir,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: overrides.schemaSnapshot ?? false,
      snapshotName: '.snapshot-rapport',
      emit: 'ts',
      silent: true,
    },
  });
}

// Used by the MikroORM CLI (`npm run migration:create`): a developer database, never the embedded one.
export default createOrmConfig(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/rapport_dev', { schemaSnapshot: true });
