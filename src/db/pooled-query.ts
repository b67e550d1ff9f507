import type { EntityManager } from '@mikro-orm/postgresql';

/** What pooledQuery uses of knex's client: its connection pool and its placeholder rewriting (`?` → `$n`). */
interface KnexPgClient {
  acquireConnection(): Promise<{ query(config: { name?: string; text: string; values: unknown[] }): Promise<{ rows: Array<Record<string, unknown>> }> }>;
  releaseConnection(connection: unknown): Promise<unknown>;
  positionBindings(text: string): string;
}

/** At most this many statement texts get a prepared-statement name, and their `$n` form kept (per process). */
const NAMED_MAX = 200;
const texts = new Map<string, { text: string | null; name: string }>();

/**
 * Runs one statement (`?` placeholders, values as bind parameters) on a connection of the entity
 * manager's knex pool, taken and given back as knex's runner does, WITHOUT building a knex query or
 * going through MikroORM's execute (which writes the values into the SQL text: each text is then new
 * to PostgreSQL, parsed and planned every time). `name`: run as that named prepared statement, so each
 * connection parses and plans the text once (the first NAMED_MAX texts of the process; later ones
 * run unnamed). The statement counter and the request budget's cancellation see it as any other
 * statement (they patch pg's Client.query).
 *
 * Returns undefined, and runs nothing, when it cannot send the statement exactly as knex would
 * (inside a transaction of `em`, an undefined value, `??` or `\?` in the text, a count of `?` other
 * than the values'): the caller then runs it its usual way.
 */
export async function pooledQuery<R extends Record<string, unknown>>(em: EntityManager, name: string, text: string, values: unknown[]): Promise<R[] | undefined> {
  if (em.getTransactionContext() || values.includes(undefined)) return undefined;
  const client = em.getKnex().client as unknown as Partial<KnexPgClient>;
  // knex internals: a version without them sends every statement the usual way instead of failing.
  if (typeof client.acquireConnection !== 'function' || typeof client.releaseConnection !== 'function' || typeof client.positionBindings !== 'function') return undefined;
  let known = texts.get(text);
  if (!known) {
    const plain = !/\?\?|\\\?/.test(text) && text.split('?').length - 1 === values.length;
    known = { text: plain ? client.positionBindings(text) : null, name };
    if (texts.size < NAMED_MAX) texts.set(text, known);
    else known.name = '';
  }
  if (known.text === null) return undefined;
  const connection = await client.acquireConnection();
  try {
    const { rows } = await connection.query(known.name ? { name: known.name, text: known.text, values } : { text: known.text, values });
    return rows as R[];
  } finally {
    await client.releaseConnection(connection);
  }
}
