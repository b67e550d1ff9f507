import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config';
import { initOrm } from '../db/orm';
import type { Logger } from '../logger';
import { startEmbeddedPostgres, embeddedUrl } from '../db/embedded-postgres';
import { liveOwner } from '../db/data-dir-lock';
import { ensureDatabase } from '../db/pg-admin';

/**
 * The database a CLI command works on: DATABASE_URL (which must exist unless DB_CREATE / --create-database);
 * else the embedded PostgreSQL of the running instance that holds the data folder's lock (whatever
 * its port); else it starts that embedded PostgreSQL itself, holding the lock while it runs.
 */
export async function connectCliDatabase(config: Config, logger: Logger, opts: { createDatabase?: boolean } = {}): Promise<{ url: string; close(): Promise<void> }> {
  if (config.databaseUrl) {
    if (await ensureDatabase(config.databaseUrl, { create: opts.createDatabase ?? config.dbCreate })) logger.info('created the database');
    return { url: config.databaseUrl, close: async () => {} };
  }
  const owner = liveOwner(config.dataDir);
  if (owner) {
    logger.info({ pid: owner.pid, port: owner.pgPort }, 'using the embedded PostgreSQL of the running instance');
    const url = embeddedUrl(owner.pgPort);
    await ensureDatabase(url, { create: false });
    return { url, close: async () => {} };
  }
  logger.info({ dataDir: config.dataDir }, 'starting the embedded PostgreSQL for this command');
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
  return { url: embedded.url, close: () => embedded.stop() };
}

/** Runs `fn` with an ORM on the CLI's database (connectCliDatabase), closing both afterwards. */
export async function withCliOrm<T>(config: Config, logger: Logger, fn: (orm: MikroORM) => Promise<T>, opts: { createDatabase?: boolean; poolMax?: number } = {}): Promise<T> {
  const db = await connectCliDatabase(config, logger, opts);
  try {
    const orm = await initOrm(db.url, { poolMax: opts.poolMax });
    try {
      return await fn(orm);
    } finally {
      await orm.close();
    }
  } finally {
    await db.close();
  }
}
