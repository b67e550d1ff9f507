import type { EntityManager } from '@mikro-orm/postgresql';
import type { Viewer } from './viewer';
import { defaultKeyring, type Keyring } from './pseudonyms';
import { pooledQuery } from '../db/pooled-query';

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

const READS_SQL = `insert into audit_log (request_id, actor, role, api_key_id, action, operation, customer_id, fields)
       select ?, ?, ?, ?, 'READ', ?, r.customer_id, array(select jsonb_array_elements_text(r.fields))
       from jsonb_to_recordset(?::jsonb) as r(customer_id uuid, fields jsonb)`;

/**
 * Collects, during one request, which personal-data fields of which customers were returned, and
 * writes them in ONE statement before the response leaves (so audit cost does not grow with the list).
 * Values are never recorded: only ids and field names.
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
    const rows = [...this.reads].map(([customerId, fields]) => ({ customer_id: customerId, fields: [...fields].sort() }));
    this.reads.clear();
    const values = [requestId, actorOf(viewer), viewer.role, viewer.apiKeyId ?? null, operation, JSON.stringify(rows)];
    // One text for every request, as a prepared statement with bind parameters (through em.execute
    // the values were written into the text, so PostgreSQL parsed and planned it on every read).
    if (await pooledQuery(em, 'rapport_audit_reads', READS_SQL, values)) return;
    await em.execute(READS_SQL, values);
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
  await em.execute(
    `insert into audit_log (request_id, actor, role, api_key_id, action, operation, customer_id, customer_ids, fields)
     values (?, ?, ?, ?, 'WRITE', ?, ?, ?::uuid[], '{}'::text[])`,
    [requestId, actorOf(viewer), viewer?.role ?? 'system', viewer?.apiKeyId ?? null, operation, ids.length === 1 ? ids[0] : null, ids.length === 1 ? null : `{${ids.join(',')}}`],
  );
}
