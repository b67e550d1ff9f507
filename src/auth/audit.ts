import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import type { Viewer } from './viewer';
import { defaultKeyring, type Keyring } from './pseudonyms';
import { AsyncResource } from 'node:async_hooks';
import { pooledQuery } from '../db/pooled-query';
import { currentSqlStats } from '../observability/sql-counter';

/**
 * How a viewer is recorded as the one who acted: never a token's subject as such (often an e-mail
 * address, which would outlive the person's erasure in the log), but its keyed pseudonym. API keys
 * are named by their key name, which is the partner's, not a person's.
 */
export function actorOf(viewer: Viewer | null, keyring: Keyring = defaultKeyring()): string {
  if (!viewer) return 'system';
  if (viewer.actor) return viewer.actor;
  return viewer.apiKeyId ? viewer.subject : keyring.actor(viewer.subject);
}

/** The viewer with its `actor` set (once per request, by the context). */
export function withActor(viewer: Viewer, keyring: Keyring): Viewer {
  return { ...viewer, actor: actorOf(viewer, keyring) };
}

/** Personal-data reads of one or more requests: one row per (request, customer), values never recorded. */
const READS_SQL = `insert into audit_log (request_id, actor, role, api_key_id, action, operation, customer_id, fields)
       select r.request_id, r.actor, r.role, r.api_key_id, 'READ', r.operation, r.customer_id, array(select jsonb_array_elements_text(r.fields))
       from jsonb_to_recordset(?::jsonb) as r(request_id text, actor text, role text, api_key_id uuid, operation text, customer_id uuid, fields jsonb)`;

interface ReadRow {
  request_id: string;
  actor: string;
  role: string;
  api_key_id: string | null;
  operation: string | null;
  customer_id: string;
  fields: string[];
}

/** At most this many rows per statement; requests queued beyond it go into the next one. */
const MAX_BATCH_ROWS = 10_000;

/**
 * Group commit of the audit log's READ rows: while one insert is on its way, the rows of the requests
 * that finish meanwhile queue up, and the next insert carries all of them, so under concurrency the
 * database sees one statement (and one commit, one WAL flush) for many requests instead of one each.
 * A request alone is written at once, as before. Each request still answers only after the statement
 * holding its rows has committed (or fails with it: its response is then withheld), so no read goes
 * unrecorded. The inserts run in the module's own async scope, not in a request's: a statement that
 * carries several requests' rows is not counted in, limited by or cancelled with any one of them (the
 * request budget cancels its own statements when a client hangs up); each request counts it once.
 */
class ReadsWriter {
  private queue: Array<{ em: EntityManager; rows: ReadRow[]; done: (err?: unknown) => void }> = [];
  private busy = false;

  write(em: EntityManager, rows: ReadRow[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ em, rows, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.busy) {
        this.busy = true;
        writerScope.runInAsyncScope(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      let n = 0;
      let rows = 0;
      while (n < this.queue.length && (n === 0 || rows + this.queue[n].rows.length <= MAX_BATCH_ROWS)) rows += this.queue[n++].rows.length;
      const batch = this.queue.splice(0, n);
      try {
        const values = [JSON.stringify(batch.flatMap((b) => b.rows))];
        // One text for every batch, as a prepared statement with bind parameters (through em.execute
        // the values were written into the text, so PostgreSQL parsed and planned it every time).
        if (!(await pooledQuery(batch[0].em, 'rapport_audit_reads', READS_SQL, values))) await batch[0].em.execute(READS_SQL, values);
        for (const b of batch) b.done();
      } catch (err) {
        for (const b of batch) b.done(err ?? new Error('audit log write failed'));
      }
    }
    this.busy = false;
  }
}

/** Created when the module loads, outside any request: the scope the group inserts run in. */
const writerScope = new AsyncResource('rapport.audit-reads');
/** One writer per connection pool (per knex client: the primary's, a test database's). */
const writers = new WeakMap<object, ReadsWriter>();

/**
 * Collects, during one request, which personal-data fields of which customers were returned, and
 * writes them in ONE statement before the response leaves (so audit cost does not grow with the list;
 * concurrent requests share it: ReadsWriter). Values are never recorded: only ids and field names.
 */
export class AuditRecorder {
  private reads = new Map<string, Set<string>>();

  recordRead(customerId: string, field: string): void {
    let fields = this.reads.get(customerId);
    if (!fields) this.reads.set(customerId, (fields = new Set()));
    fields.add(field);
  }

  get pendingReads(): number {
    return this.reads.size;
  }

  async flushReads(em: EntityManager, viewer: Viewer, requestId: string, operation: string | null): Promise<void> {
    if (!this.reads.size) return;
    const actor = actorOf(viewer);
    const rows: ReadRow[] = [...this.reads].map(([customerId, fields]) => ({
      request_id: requestId, actor, role: viewer.role, api_key_id: viewer.apiKeyId ?? null, operation, customer_id: customerId, fields: [...fields].sort(),
    }));
    this.reads.clear();
    // Inside a transaction of `em` the rows go into it, with the caller's own statement.
    if (em.getTransactionContext()) {
      await em.execute(READS_SQL, [JSON.stringify(rows)]);
      return;
    }
    const pool = em.getKnex().client as object;
    let writer = writers.get(pool);
    if (!writer) writers.set(pool, (writer = new ReadsWriter()));
    await writer.write(em, rows);
    // The request counts the statement that carried its rows (the N+1 guard and the SQL metric read it).
    const stats = currentSqlStats();
    if (stats) stats.statements++;
  }
}

/** Records a privileged write inside the writer's own transaction: no write without its audit row. */
export async function auditWrite(em: EntityManager, viewer: Viewer | null, requestId: string, operation: string, customerId: string | null, fields: string[] = []): Promise<void> {
  await em.execute(
    `insert into audit_log (request_id, actor, role, api_key_id, action, operation, customer_id, fields) values (?, ?, ?, ?, 'WRITE', ?, ?, ?::text[])`,
    [requestId, actorOf(viewer), viewer?.role ?? 'system', viewer?.apiKeyId ?? null, operation, customerId, `{${fields.map((f) => `"${f}"`).join(',')}}`],
  );
}

/**
 * The WRITE entry of a batch (ingestEvents, the import): ONE row, whatever the number of customers it
 * wrote to - `customer_id` when it is one, else every one of them in `customer_ids`, sorted
 * (`auditLog(customerId)` reads both). A row per customer was a tenth of a batch's database work.
 */
export async function auditWrites(em: EntityManager, viewer: Viewer | null, requestId: string, operation: string, customerIds: string[]): Promise<void> {
  if (!customerIds.length) return;
  const ids = [...new Set(customerIds)].sort();
  const sql = `insert into audit_log (request_id, actor, role, api_key_id, action, operation, customer_id, customer_ids, fields)
     values (?, ?, ?, ?, 'WRITE', ?, ?, ?::uuid[], '{}'::text[])`;
  const params = [requestId, actorOf(viewer), viewer?.role ?? 'system', viewer?.apiKeyId ?? null, operation, ids.length === 1 ? ids[0] : null, ids.length === 1 ? null : `{${ids.join(',')}}`];
  // Inside the batch's transaction (where the batch paths call it), the ids are bound as a parameter:
  // em.execute writes every value into the SQL text, escaping the ~500 ids of a batch character by
  // character (4% of what an ingestEvents request allocated, sampling heap profile of npm run bench:ingest).
  const trx = em.getTransactionContext<Knex.Transaction>();
  if (trx) await trx.raw(sql, params);
  else await em.execute(sql, params);
}
