import type { EntityManager, Knex } from '@mikro-orm/postgresql';

/**
 * Runs one statement (`?` placeholders) with its values sent as bind parameters, in `em`'s transaction
 * if it has one. MikroORM's `em.execute` writes the values into the SQL text instead, which is what
 * pg_stat_activity shows and PostgreSQL logs with an error (a statement cancelled by its timeout), where
 * bind parameters are not shown or logged by default: for a value that must stay out of those, such as a
 * pseudonym key's HMAC pads (src/auth/own-contact.ts), use this.
 */
export async function executeBound<T>(em: EntityManager, text: string, params: unknown[]): Promise<T[]> {
  const query = em.getKnex().raw(text, params as Knex.RawBinding[]);
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (trx) query.transacting(trx);
  return ((await query) as { rows: T[] }).rows;
}
