import { MikroORM } from '@mikro-orm/postgresql';
import { createOrmConfig } from '../mikro-orm.config';

export async function initOrm(url: string, opts: { poolMax?: number; statementTimeoutMs?: number } = {}): Promise<MikroORM> {
  return MikroORM.init(createOrmConfig(url, opts));
}

/** Applies pending migrations (each in its own transaction; all or nothing). */
export async function migrate(orm: MikroORM): Promise<string[]> {
  const applied = await orm.getMigrator().up();
  return applied.map((m) => m.name);
}
