import { randomUUID } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import type { Client } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { EntityManager, Knex } from '@mikro-orm/postgresql';
import { DomainError } from '../errors/domain-error';
import { isConcurrencyAbort } from '../errors/format-error';
import { afterRowsWritten, eventContentHash, type IngestOptions } from '../ingestion/core';
import { byCodePoint } from '../ingestion/key-order';
import { RecordKind, type StagedRecord } from './import-record';
import { esc } from './copy-text';
import { toEvent } from './to-core';
import { textArray, uuidArray } from '../services/pagination';

/**
 * The import's fast path (issue #20): interaction records whose customer, product and key resolve
 * cleanly are COPied straight into `interactions` and the idempotency ledger, in a savepoint of one
 * transaction per window; everything else - new people, new identifiers, merges, customers, orders,
 * unknown skus, keys already stored - goes through the ingestion core (to-core.ts). It decides nothing
 * the core would decide otherwise:
 * - "cleanly" means every identifier of the record is stored, all of one active customer (locked FOR
 *   KEY SHARE, as the core locks the customers it adds activity to), and no other record of the window
 *   that goes through the core names that customer (so the core's merges and links cannot change the
 *   answer, whatever the order);
 * - the ledger row carries the core's own content digest (eventContentHash) and result, so a later
 *   replay through any path is compared as the core compares it;
 * - a key already stored (a unique violation of the ledger or of interaction_event_keys, whose rows
 *   the fast path COPies itself instead of the per-row claim trigger) rolls the savepoint back: those
 *   records go to the core, which answers DUPLICATE or a content conflict; the rest is copied again;
 * - the rows are COPied in key order (the order the core claims keys in), so a concurrent writer of the
 *   same keys waits on this one; a deadlock or serialization failure all the same (another writer
 *   taking keys in another order) rolls the savepoint, or the window's transaction, back and sends
 *   the whole window to the core, which waits, compares and retries (test: import-concurrency);
 * - the customers written go through the core's afterRowsWritten hook (audit) and first/last seen
 *   are updated as the core updates them.
 */
export interface FastOutcome {
  written: number;
  /** Records for the core, in file order. */
  rest: StagedRecord[];
}

/** sku → product id, for the run (a product is never deleted while referenced; unknown skus are asked again). */
export type ProductCache = Map<string, string>;

type Trx = Knex.Transaction;
const idKey = (k: string, ns: string, v: string) => `${k}\u0000${ns}\u0000${v}`;

async function raw<T>(trx: Trx, sql: string, params: unknown[]): Promise<T[]> {
  return ((await trx.raw(sql, params as Knex.RawBinding[])) as { rows: T[] }).rows;
}

interface Clean { rec: StagedRecord; id: string; customerId: string; productId: string | null; hash: string }

/** Records handled between two returns to the event loop by work that overlaps a COPY (planning, reading). */
export const YIELD_EVERY = 500;
export const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a window's records resolve to before its transaction: the fast-path candidates, with their customer, product and digest. */
export interface WindowPlan {
  records: StagedRecord[];
  candidates: Clean[];
}

/**
 * Reads without locking what the window's records resolve to (identifier owners, skus) and picks the
 * candidates. Runs while the previous window is written: what changes meanwhile is caught by
 * `writeClean`, which locks the customers and takes only active ones; an identity created meanwhile
 * only sends its records to the core.
 */
export async function planWindow(em: EntityManager, records: StagedRecord[], products: ProductCache, opts: IngestOptions): Promise<WindowPlan> {
  if (!records.some((r) => r.kind === RecordKind.INTERACTION)) return { records, candidates: [] };
  const knex = em.getKnex();
  const read = async <T>(sql: string, params: unknown[]) => ((await knex.raw(sql, params as Knex.RawBinding[])) as { rows: T[] }).rows;
  // Owners of every identifier of the window: one indexed lookup.
  const all = new Map<string, [string, string, string]>();
  for (const r of records) for (const i of r.ids) all.set(idKey(...i), i);
  const ids = [...all.values()];
  const owners = new Map<string, string>();
  for (const row of await read<{ k: string; ns: string; v: string; customer_id: string }>(
    `select u.k, u.ns, u.v, i.customer_id from unnest(?::text[], ?::text[], ?::text[]) as u(k, ns, v)
     join identities i on i.kind = u.k and i.namespace = u.ns and i.value = u.v`,
    [textArray(ids.map((i) => i[0])), textArray(ids.map((i) => i[1])), textArray(ids.map((i) => i[2]))])) owners.set(idKey(row.k, row.ns, row.v), row.customer_id);
  const unknownSkus = [...new Set(records.map((r) => (r.kind === RecordKind.INTERACTION ? r.sku : null)).filter((s): s is string => !!s && !products.has(s)))];
  if (unknownSkus.length) {
    for (const p of await read<{ sku: string; id: string }>(`select sku, id from products where sku = any(?::text[])`, [textArray(unknownSkus)])) products.set(p.sku, p.id);
  }

  // Keys named more than once in the window go to the core, which compares them in order.
  const keyCount = new Map<string, number>();
  for (const r of records) if (r.kind === RecordKind.INTERACTION) keyCount.set(idKey(r.source, r.eventId!, ''), (keyCount.get(idKey(r.source, r.eventId!, '')) ?? 0) + 1);
  const ownerOf = (r: StagedRecord): string | null => {
    const found = new Set(r.ids.map((i) => owners.get(idKey(...i)) ?? null));
    const [only] = found;
    return found.size === 1 && only ? only : null;
  };
  const candidates = new Map<StagedRecord, string>();
  for (const r of records) {
    if (r.kind !== RecordKind.INTERACTION || keyCount.get(idKey(r.source, r.eventId!, '')) !== 1 || (r.sku && !products.has(r.sku))) continue;
    const owner = ownerOf(r);
    if (owner) candidates.set(r, owner);
  }
  // Customers the core's records of this window name: theirs go to the core too.
  const dirty = new Set<string>();
  for (const r of records) if (!candidates.has(r)) for (const i of r.ids) { const o = owners.get(idKey(...i)); if (o) dirty.add(o); }
  const clean: Clean[] = [];
  let n = 0;
  for (const [rec, customerId] of candidates) {
    // This runs while the previous window's COPY streams from this same thread: hand the event loop
    // back now and then, or PostgreSQL waits for the COPY's data while ~25,000 digests are computed.
    if (++n % YIELD_EVERY === 0) await yieldToEventLoop();
    if (dirty.has(customerId)) continue;
    let hash: string;
    try {
      hash = eventContentHash(toEvent(rec), opts);
    } catch (err) {
      if (err instanceof DomainError) continue;
      throw err;
    }
    clean.push({ rec, id: randomUUID(), customerId, productId: rec.sku ? products.get(rec.sku)! : null, hash });
  }
  return { records, candidates: clean };
}

export async function writeClean(em: EntityManager, plan: WindowPlan, opts: IngestOptions): Promise<FastOutcome> {
  const { records } = plan;
  if (!plan.candidates.length) return { written: 0, rest: records };
  // IMPORT_TIMING=1: each step's time on stderr, to see where a window spends it.
  const timing = process.env.IMPORT_TIMING === '1';
  let t0 = performance.now();
  const lap = (what: string) => {
    if (!timing) return;
    const t = performance.now();
    process.stderr.write(`${(t - t0).toFixed(0).padStart(6)} ms  ${what}\n`);
    t0 = t;
  };
  try {
    return await writeCleanOnce(em, plan, opts, lap);
  } catch (err) {
    // A deadlock or serialization failure outside the COPY's savepoint (the customers' locks, the
    // commit) rolled the whole window back: nothing of it is stored, and the core, which retries
    // such failures itself, answers every record of the window.
    if (!isConcurrencyAbort(err)) throw err;
    return { written: 0, rest: records };
  }
}

async function writeCleanOnce(em: EntityManager, plan: WindowPlan, opts: IngestOptions, lap: (what: string) => void): Promise<FastOutcome> {
  const { records } = plan;
  return em.transactional(async (tem) => {
    const trx = tem.getTransactionContext<Trx>()!;
    // As the core: FOR KEY SHARE waits for a merge or erasure in progress; only active customers are written to.
    const active = new Set((await raw<{ id: string }>(trx,
      `select id from customers where id = any(?::uuid[]) and status = 'active' order by id for key share`, [uuidArray([...new Set(plan.candidates.map((c) => c.customerId))])])).map((r) => r.id));
    // In key order, the order the core claims keys in (key-order.ts): a concurrent import or batch naming the same
    // keys then waits on this one (and sees a unique violation) instead of deadlocking with it.
    let clean = plan.candidates.filter((c) => active.has(c.customerId))
      .sort((a, b) => byCodePoint(a.rec.source, b.rec.source) || byCodePoint(a.rec.eventId!, b.rec.eventId!));
    lap('customers locked');
    if (!clean.length) return { written: 0, rest: records };

    const conn = (await (trx as unknown as { client: { acquireConnection(): Promise<Client> } }).client.acquireConnection());
    for (let attempt = 0; clean.length; attempt++) {
      await trx.raw('savepoint import_fast');
      try {
        await copyRows(conn, clean, lap);
        await trx.raw('release savepoint import_fast');
        break;
      } catch (err) {
        await trx.raw('rollback to savepoint import_fast');
        // A deadlock or serialization failure with a concurrent writer of the same keys: the savepoint
        // undid this COPY, and the core (which waits for, compares and retries) answers the window.
        if (isConcurrencyAbort(err)) { clean = []; break; }
        if ((err as { code?: string }).code !== '23505' || attempt > 0) {
          if ((err as { code?: string }).code === '23505') { clean = []; break; }
          throw err;
        }
        // Keys stored before (by any path): the core answers them.
        const stored = new Set((await raw<{ source: string; key: string }>(trx,
          `select u.source, u.key from unnest(?::text[], ?::text[]) as u(source, key)
           where exists (select 1 from ingest_events e where e.source = u.source and e.idempotency_key = u.key)
              or exists (select 1 from interaction_event_keys k where k.source = u.source and k.source_event_id = u.key)`,
          [textArray(clean.map((c) => c.rec.source)), textArray(clean.map((c) => c.rec.eventId!))])).map((r) => idKey(r.source, r.key, '')));
        clean = clean.filter((c) => !stored.has(idKey(c.rec.source, c.rec.eventId!, '')));
      }
    }
    if (!clean.length) return { written: 0, rest: records };

    lap(`COPY of ${clean.length} records done`);
    const customerIds = [...new Set(clean.map((c) => c.customerId))].sort();
    await afterRowsWritten(tem as EntityManager, { customerIds }, opts);
    lap('afterRowsWritten');
    const seen = new Map<string, [string, string]>();
    for (const c of clean) {
      const s = seen.get(c.customerId);
      const at = c.rec.at!;
      seen.set(c.customerId, s ? [at < s[0] ? at : s[0], at > s[1] ? at : s[1]] : [at, at]);
    }
    // As the core's last step: row locks in id order, only rows that change.
    await trx.raw(
      `with r as (select * from unnest(?::uuid[], ?::timestamptz[], ?::timestamptz[]) as r(id, first_at, last_at)),
            l as (select c.id from customers c join r on r.id = c.id
                  where c.first_seen_at > r.first_at or c.last_seen_at < r.last_at order by c.id for no key update of c)
       update customers c set first_seen_at = least(c.first_seen_at, r.first_at), last_seen_at = greatest(c.last_seen_at, r.last_at)
       from r join l on l.id = r.id where c.id = r.id`,
      [uuidArray([...seen.keys()]), textArray([...seen.values()].map((s) => s[0])), textArray([...seen.values()].map((s) => s[1]))],
    );
    lap('first/last seen');
    const done = new Set(clean.map((c) => c.rec));
    return { written: clean.length, rest: records.filter((r) => !done.has(r)) };
  });
}

/**
 * The ledger rows (the core's result shape), the event keys and the interactions, each in one COPY,
 * inside the caller's savepoint. A key claimed before, by any path, fails the ledger's or the key
 * table's COPY with a unique violation (the caller then sends those records to the core). The
 * interactions' per-row key-claim trigger is told the keys are claimed already
 * (`rapport.event_keys_claimed`, Migration20261206110000): one set-based COPY of the key rows instead
 * of an INSERT … ON CONFLICT per row, about half of PostgreSQL's work for the interactions.
 */
async function copyRows(conn: Client, clean: Clean[], lap: (what: string) => void): Promise<void> {
  const ledger = clean.map((c) => [
    esc(c.rec.source), esc(c.rec.eventId), 'INTERACTION', c.hash,
    esc(JSON.stringify({ status: 'ACCEPTED', customerId: c.customerId, interactionId: c.id, orderId: null })), c.customerId,
  ].join('\t') + '\n');
  await pipeline(Readable.from(chunked(ledger)), conn.query(copyFrom(`copy ingest_events (source, idempotency_key, kind, content_hash, result, customer_id) from stdin`)));
  lap('COPY of the ledger rows');
  const keys = clean.map((c) => [esc(c.rec.source), esc(c.rec.eventId), c.id, c.rec.at!].join('\t') + '\n');
  await pipeline(Readable.from(chunked(keys)), conn.query(copyFrom(`copy interaction_event_keys (source, source_event_id, interaction_id, occurred_at) from stdin`)));
  lap('COPY of the event keys');
  const interactions = clean.map((c) => [
    c.id, c.customerId, c.rec.at!, c.rec.channel!, c.rec.itype!, c.productId ?? '\\N', esc(c.rec.campaign), esc(JSON.stringify(c.rec.properties ?? {})), esc(c.rec.source), esc(c.rec.eventId),
  ].join('\t') + '\n');
  // Transaction-local, and undone with the savepoint if the COPY fails; switched off again right after.
  await conn.query(`select set_config('rapport.event_keys_claimed', 'on', true)`);
  await pipeline(Readable.from(chunked(interactions)), conn.query(copyFrom(
    `copy interactions (id, customer_id, occurred_at, channel, type, product_id, campaign, properties, source, source_event_id) from stdin`)));
  await conn.query(`select set_config('rapport.event_keys_claimed', 'off', true)`);
  lap('COPY of the interactions');
}

/** Lines joined into buffers of ~256 KB: fewer, larger writes to the socket. */
function* chunked(lines: string[]): Generator<string> {
  let buf = '';
  for (const l of lines) {
    buf += l;
    if (buf.length >= 262_144) {
      yield buf;
      buf = '';
    }
  }
  if (buf) yield buf;
}
