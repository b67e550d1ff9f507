import { Client } from 'pg';
import type { Config } from '../config';
import type { Logger } from '../logger';
import { startEmbeddedPostgres } from '../db/embedded-postgres';

/**
 * The database a CLI command works on: DATABASE_URL; else the embedded PostgreSQL of a running
 * `npm start` (same data folder and port); else it starts that embedded PostgreSQL itself.
 */
export async function connectCliDatabase(config: Config, logger: Logger): Promise<{ url: string; close(): Promise<void> }> {
  if (config.databaseUrl) return { url: config.databaseUrl, close: async () => {} };
  const url = `postgres://postgres:postgres@127.0.0.1:${config.embeddedPgPort}/rapport`;
  const probe = new Client({ connectionString: url, connectionTimeoutMillis: 1500 });
  try {
    await probe.connect();
    await probe.end();
    return { url, close: async () => {} };
  } catch {
    await probe.end().catch(() => {});
  }
  logger.info({ dataDir: config.dataDir }, 'starting the embedded PostgreSQL for this command');
  const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, port: config.embeddedPgPort });
  return { url: embedded.url, close: () => embedded.stop() };
}
