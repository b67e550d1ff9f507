import type { EntityManager } from '@mikro-orm/postgresql';
import { CustomerMerge, type MovedRows } from '../entities/customer-merge.entity';
import type { FieldProvenanceMap } from '../entities/customer.entity';
import { CustomerStatus, IdentityKind } from '../entities/enums';
import { DomainError, ErrorCode, badInput, conflict } from '../errors/domain-error';
import { toGlobalId } from '../schema/global-id';
import { sourceRank, type MergePolicy } from './merge-policy';
import { textArray, uuidArray } from './pagination';
import { cleanText } from './validation';
import type { WriteAudit } from './customer.service';

/** Profile columns chosen one by one on a merge, with the provenance key each is recorded under. */
const PROFILE_COLUMNS: ReadonlyArray<[column: string, field: string]> = [
  ['first_name', 'firstName'], ['last_name', 'lastName'], ['email', 'email'], ['phone', 'phone'],
  ['birth_date', 'birthDate'], ['locale', 'locale'], ['address', 'address'],
];

/** Ledger key for segment memberships a merge had to close (both profiles were open members). */
const CLOSED_MEMBERSHIPS = 'segment_memberships#closed';
/** Ledger key for profiles merged earlier into the loser, repointed to the survivor. */
const REPOINTED = 'customers#merged_into';

type Row = Record<string, unknown>;
type Provenance = { source: string; at: string };

export interface FieldChoice {
  field: string;
  from: 'survivor' | 'loser';
  source: string;
  at: string;
}

export interface MergeOutcome {
  merge: CustomerMerge;
  /** Rows moved per table (ledger keys counted). */
  moves: Array<{ table: string; rows: number }>;
  fields: FieldChoice[];
  /** The survivor's row after the merge (column names as in the database). */
  survivorAfter: Row;
}

export interface MergeOptions {
  policy: MergePolicy;
  automatic?: boolean;
  audit?: WriteAudit;
}

/** A table whose `customer_id` references customers, the expression naming one of its rows, and its per-customer unique keys. */
interface OwnedTable {
  table: string;
  keyExpr: string;
  /** Other columns of each (non-partial) unique constraint that includes customer_id. */
  uniques: string[][];
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

/**
 * Every table with a foreign key `customer_id → customers`, read from the catalogue so that a table
 * added later moves on merge without anyone remembering to list it here. Tables without that foreign
 * key (customer_metrics, audit_log) stay as they are: metrics are recomputed, the audit log is evidence.
 */
async function ownedTables(em: EntityManager): Promise<OwnedTable[]> {
  // node-postgres parses text[] and json columns, so pk and uniques arrive as arrays.
  const rows: Array<{ tbl: string; pk: string[]; uniques: string[][] }> = await em.execute(
    `select c.conrelid::regclass::text as tbl,
            coalesce((select array_agg(a.attname::text order by a.attnum) from pg_index i
                      join pg_attribute a on a.attrelid = i.indrelid and a.attnum = any(i.indkey)
                      where i.indrelid = c.conrelid and i.indisprimary and a.attname <> 'customer_id'), '{}') as pk,
            (select coalesce(json_agg(u.cols), '[]') from (
               select array(select a.attname::text from unnest(i.indkey) k join pg_attribute a on a.attrelid = i.indrelid and a.attnum = k
                            where a.attname <> 'customer_id') as cols
               from pg_index i
               where i.indrelid = c.conrelid and i.indisunique and not i.indisprimary and i.indpred is null
                 and exists (select 1 from pg_attribute a where a.attrelid = i.indrelid and a.attnum = any(i.indkey) and a.attname = 'customer_id')) u) as uniques
     from pg_constraint c
     where c.contype = 'f' and c.confrelid = 'customers'::regclass and c.conparentid = 0
       and (select array_agg(a.attname::text) from pg_attribute a where a.attrelid = c.conrelid and a.attnum = any(c.conkey)) = array['customer_id']
     order by 1`,
  );
  return rows.map(({ tbl, pk, uniques }) => {
    // A table keyed by customer alone holds one row per customer: its key is the customer it belongs to.
    const keyExpr = pk.length === 0 ? `'-'` : pk.length === 1 ? `${quoteIdent(pk[0])}::text` : `json_build_array(${pk.map(quoteIdent).join(', ')})::text`;
    return { table: tbl, keyExpr, uniques };
  });
}

/**
 * A loser's row that repeats a fact the survivor already holds under a per-customer unique key (the
 * same preference stated by both profiles) stays with the loser: nothing is lost, and an unmerge
 * finds it where it was.
 */
function notDuplicateSql(t: OwnedTable): string {
  return t.uniques
    .map((cols) => ` and not exists (select 1 from ${t.table} o where o.customer_id = ?${cols.map((c) => ` and o.${quoteIdent(c)} = t.${quoteIdent(c)}`).join('')})`)
    .join('');
}

async function lockCustomers(em: EntityManager, ids: string[]): Promise<Map<string, Row>> {
  const rows: Array<{ id: string; snap: Row }> = await em.execute(
    'select c.id, to_jsonb(c) as snap from customers c where c.id = any(?::uuid[]) order by c.id for update',
    [uuidArray(ids)],
  );
  return new Map(rows.map((r) => [r.id, r.snap]));
}

function requireMergeable(row: Row | undefined, field: string): Row {
  if (!row || row.status === CustomerStatus.ERASED) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field });
  if (row.status === CustomerStatus.MERGED) {
    throw conflict('customer was already merged into another profile', {
      field, reason: 'ALREADY_MERGED', mergedIntoId: row.merged_into_id ? toGlobalId('Customer', String(row.merged_into_id)) : null,
    });
  }
  return row;
}

/**
 * Refuses a combination of identifiers that would give one customer more of a kind per namespace
 * than MERGE_POLICY.limits allows (two CRM ids from the same CRM are two people, or a data error).
 */
export async function checkIdentityLimits(
  em: EntityManager, policy: MergePolicy, customerIds: string[], extra: Array<{ kind: IdentityKind; namespace: string }>,
): Promise<void> {
  const limited = Object.keys(policy.limits) as IdentityKind[];
  if (!limited.length) return;
  const counts = new Map<string, number>();
  if (customerIds.length) {
    const rows: Array<{ kind: string; namespace: string; n: string }> = await em.execute(
      'select kind, namespace, count(*) as n from identities where customer_id = any(?::uuid[]) and kind = any(?::text[]) group by kind, namespace',
      [uuidArray(customerIds), textArray(limited)],
    );
    for (const r of rows) counts.set(`${r.kind}\u0000${r.namespace}`, Number(r.n));
  }
  for (const e of extra) {
    if (policy.limits[e.kind] === undefined) continue;
    const k = `${e.kind}\u0000${e.namespace}`;
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  for (const [k, n] of counts) {
    const [kind, namespace] = k.split('\u0000') as [IdentityKind, string];
    const limit = policy.limits[kind]!;
    if (n > limit) {
      throw conflict(
        `one customer may hold at most ${limit} ${kind} identifier${limit === 1 ? '' : 's'}${namespace ? ` in namespace "${namespace}"` : ''} (MERGE_POLICY.limits); this would give ${n}`,
        { field: 'identities', reason: 'IDENTITY_LIMIT', kind, namespace },
      );
    }
  }
}

const isEmpty = (v: unknown) =>
  v === null || v === undefined || v === '' || (typeof v === 'object' && !Array.isArray(v) && Object.values(v as Row).every((x) => x === null || x === undefined || x === ''));

function provenanceOf(row: Row, key: string, fallbackKey?: string): Provenance {
  const map = (row.field_provenance ?? {}) as FieldProvenanceMap;
  return map[key] ?? (fallbackKey ? map[fallbackKey] : undefined) ?? { source: 'unknown', at: String(row.updated_at) };
}

/**
 * Survivorship for one value: a non-empty value beats an empty one; then the more trusted source
 * (MERGE_POLICY.sourcePriority); then the more recent assertion; a full tie keeps the survivor's.
 */
function pick(policy: MergePolicy, s: { v: unknown; p: Provenance }, l: { v: unknown; p: Provenance }): 'survivor' | 'loser' {
  if (isEmpty(l.v)) return 'survivor';
  if (isEmpty(s.v)) return 'loser';
  const rs = sourceRank(policy, s.p.source);
  const rl = sourceRank(policy, l.p.source);
  if (rs !== rl) return rl < rs ? 'loser' : 'survivor';
  const ts = Date.parse(s.p.at);
  const tl = Date.parse(l.p.at);
  return tl > ts ? 'loser' : 'survivor';
}

function survivorship(policy: MergePolicy, s: Row, l: Row) {
  const values: Row = {};
  const provenance: FieldProvenanceMap = {};
  const fields: FieldChoice[] = [];
  const record = (field: string, from: 'survivor' | 'loser', p: Provenance) => {
    provenance[field] = p;
    fields.push({ field, from, source: p.source, at: p.at });
  };
  for (const [column, field] of PROFILE_COLUMNS) {
    const sp = provenanceOf(s, field);
    const lp = provenanceOf(l, field);
    const from = pick(policy, { v: s[column], p: sp }, { v: l[column], p: lp });
    values[column] = from === 'survivor' ? (s[column] ?? null) : l[column];
    if (!isEmpty(values[column]) || (s.field_provenance as Row | undefined)?.[field] || (l.field_provenance as Row | undefined)?.[field]) {
      record(field, from, from === 'survivor' ? sp : lp);
    }
  }
  // Traits are chosen key by key, so neither side's attributes are dropped.
  const st = (s.traits ?? {}) as Row;
  const lt = (l.traits ?? {}) as Row;
  const traits: Row = {};
  for (const key of [...new Set([...Object.keys(st), ...Object.keys(lt)])].sort()) {
    const field = `traits.${key}`;
    const sp = provenanceOf(s, field, 'traits');
    const lp = provenanceOf(l, field, 'traits');
    const from = !(key in lt) ? 'survivor' : !(key in st) ? 'loser' : pick(policy, { v: st[key], p: sp }, { v: lt[key], p: lp });
    traits[key] = from === 'survivor' ? st[key] : lt[key];
    record(field, from, from === 'survivor' ? sp : lp);
  }
  values.traits = traits;
  values.field_provenance = provenance;
  // First and last seen: the earlier and the later of the two, compared by PostgreSQL in the update
  // (least/greatest): the timestamps have microseconds, which Date.parse would drop.
  return { values, fields };
}

async function setReassign(em: EntityManager, on: boolean): Promise<void> {
  // Transaction-local: a savepoint rolled back or a commit ends it; switched off again right after use
  // so that the rest of a caller's transaction gets no exemption from the consent ledger's trigger.
  await em.execute(`select set_config('rapport.reassign', ?, true)`, [on ? 'on' : 'off']);
}

function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; name?: string };
  return e?.code === '23505' || e?.name === 'UniqueConstraintViolationException';
}

async function snapshot(em: EntityManager, id: string): Promise<Row> {
  const [row]: Array<{ snap: Row }> = await em.execute('select to_jsonb(c) as snap from customers c where c.id = ?', [id]);
  return row.snap;
}

/** Writes every column of `row` except id back to the customer (exactly, timestamps included). */
async function writeCustomerRow(em: EntityManager, id: string, row: Row): Promise<void> {
  const columns = Object.keys(row).filter((c) => c !== 'id');
  const list = columns.map(quoteIdent).join(', ');
  await em.execute(
    `update customers c set (${list}) = (select ${columns.map((col) => `r.${quoteIdent(col)}`).join(', ')} from jsonb_populate_record(null::customers, ?::jsonb) r) where c.id = ?`,
    [JSON.stringify(row), id],
  );
}

/**
 * Merges `loserId` into `survivorId` in one transaction (a savepoint inside a caller's transaction):
 * every row of every customer-owned table moves to the survivor, each profile field is chosen by
 * survivorship, the loser becomes MERGED, and the ledger records exactly what moved so that
 * unmergeCustomers can put it back.
 */
export async function mergeCustomers(
  em: EntityManager, survivorId: string, loserId: string, reason: string | null | undefined, actor: string, opts: MergeOptions,
): Promise<MergeOutcome> {
  const why = cleanText(reason ?? null, 'reason', 500) ?? (opts.automatic ? 'automatic' : null);
  if (!why) throw badInput('reason is required: say why these profiles are the same person', 'reason');
  if (survivorId === loserId) throw badInput('a customer cannot be merged into itself', 'loserId');
  return em.transactional(async (tem) => {
    const rows = await lockCustomers(tem, [survivorId, loserId]);
    const s = requireMergeable(rows.get(survivorId), 'survivorId');
    const l = requireMergeable(rows.get(loserId), 'loserId');
    await checkIdentityLimits(tem, opts.policy, [survivorId, loserId], []);

    const { values, fields } = survivorship(opts.policy, s, l);
    const moved: MovedRows = {};
    const closed: Array<{ id: string }> = await tem.execute(
      `update segment_memberships l set left_at = now()
       where l.customer_id = ? and l.left_at is null
         and exists (select 1 from segment_memberships o where o.customer_id = ? and o.segment_id = l.segment_id and o.left_at is null)
       returning l.id::text as id`,
      [loserId, survivorId],
    );
    if (closed.length) moved[CLOSED_MEMBERSHIPS] = closed.map((r) => r.id);

    await setReassign(tem, true);
    for (const t of await ownedTables(tem)) {
      // RETURNING of `update … t` sees the target table only: the key expression needs no qualifying
      // (rewriting its quoted names with a pattern broke on a name holding a double quote).
      const { table, keyExpr } = t;
      let keys: Array<{ k: string }>;
      try {
        keys = await tem.execute(
          `update ${table} t set customer_id = ? where t.customer_id = ?${notDuplicateSql(t)} returning ${keyExpr} as k`,
          [survivorId, loserId, ...t.uniques.map(() => survivorId)],
        );
      } catch (err) {
        if (isUniqueViolation(err)) throw conflict(`${table} holds rows of both customers that cannot be combined; resolve them before merging`, { reason: 'UNMOVABLE_ROWS', table });
        throw err;
      }
      if (keys.length) moved[table] = keys.map((r) => r.k);
    }
    await setReassign(tem, false);

    const repointed: Array<{ id: string }> = await tem.execute(
      `update customers set merged_into_id = ? where merged_into_id = ? and status = 'merged' returning id::text as id`,
      [survivorId, loserId],
    );
    if (repointed.length) moved[REPOINTED] = repointed.map((r) => r.id);

    await tem.execute(
      `update customers set first_name = ?, last_name = ?, email = ?, phone = ?, birth_date = ?::date, locale = ?, address = ?::jsonb,
         traits = ?::jsonb, field_provenance = ?::jsonb, first_seen_at = least(?::timestamptz, ?::timestamptz),
         last_seen_at = greatest(?::timestamptz, ?::timestamptz), updated_at = now()
       where id = ?`,
      [
        values.first_name, values.last_name, values.email, values.phone, values.birth_date, values.locale,
        values.address == null ? null : JSON.stringify(values.address), JSON.stringify(values.traits), JSON.stringify(values.field_provenance),
        s.first_seen_at, l.first_seen_at, s.last_seen_at, l.last_seen_at, survivorId,
      ],
    );
    await tem.execute(`update customers set status = 'merged', merged_into_id = ?, updated_at = now() where id = ?`, [survivorId, loserId]);
    const survivorAfter = await snapshot(tem, survivorId);

    const merge = tem.create(CustomerMerge, {
      survivor: survivorId, loser: loserId, reason: why, actor, automatic: opts.automatic ?? false,
      moved, survivorBefore: s, loserBefore: l, survivorAfter,
    });
    await tem.flush();
    await opts.audit?.(tem, survivorId);
    await opts.audit?.(tem, loserId);
    return { merge, moves: moveCounts(moved), fields, survivorAfter };
  });
}

export function moveCounts(moved: MovedRows): Array<{ table: string; rows: number }> {
  return Object.entries(moved)
    .filter(([table]) => !table.includes('#'))
    .map(([table, keys]) => ({ table, rows: keys.length }))
    .sort((a, b) => a.table.localeCompare(b.table));
}

class PreviewRollback extends Error {
  constructor(readonly outcome: MergeOutcome) {
    super('preview: rolled back');
  }
}

/** The merge as it would be, computed by the merge itself in a transaction that is then rolled back. */
export async function previewMerge(em: EntityManager, survivorId: string, loserId: string, policy: MergePolicy): Promise<MergeOutcome> {
  try {
    await em.transactional(async (tem) => {
      const outcome = await mergeCustomers(tem, survivorId, loserId, 'preview', 'preview', { policy });
      throw new PreviewRollback(outcome);
    });
  } catch (err) {
    if (err instanceof PreviewRollback) return err.outcome;
    throw err;
  }
  throw new Error('unreachable: preview transaction committed');
}

const canonical = (v: unknown): string => JSON.stringify(v, (_k, x) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b))) : x));

/**
 * The survivor as it was before the merge, except what was written to it since: a column (or a key
 * of traits / field_provenance) still holding the merge's result goes back to its prior value; one
 * that changed after the merge keeps its current value, so later writes are not undone.
 */
function restoreSurvivor(before: Row, after: Row, current: Row): Row {
  const out: Row = { ...current };
  for (const column of Object.keys(before)) {
    if (column === 'id') continue;
    if (column === 'traits' || column === 'field_provenance') {
      const b = (before[column] ?? {}) as Row;
      const a = (after[column] ?? {}) as Row;
      const c = { ...((current[column] ?? {}) as Row) };
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (canonical(c[key]) !== canonical(a[key])) continue;
        if (key in b) c[key] = b[key];
        else delete c[key];
      }
      out[column] = c;
    } else if (canonical(current[column]) === canonical(after[column])) {
      out[column] = before[column];
    }
  }
  return out;
}

/**
 * Undoes a merge: every row the merge moved goes back to the loser, the loser is restored exactly as
 * it was (ACTIVE again), and the survivor gets its prior values back (see restoreSurvivor). Rows
 * added to the survivor after the merge stay with it. Refused with CONFLICT when already undone,
 * when the survivor was itself merged or erased since, or when any moved row changed owner since.
 */
export async function unmergeCustomers(em: EntityManager, mergeId: string, actor: string, audit?: WriteAudit): Promise<CustomerMerge> {
  return em.transactional(async (tem) => {
    const [ledger]: Array<Row> = await tem.execute('select * from customer_merges where id = ? for update', [mergeId]);
    if (!ledger) throw new DomainError(ErrorCode.NOT_FOUND, 'merge not found', { field: 'mergeId' });
    if (ledger.undone_at) throw conflict('this merge was already undone', { field: 'mergeId', reason: 'ALREADY_UNDONE' });
    const survivorId = String(ledger.survivor_id);
    const loserId = String(ledger.loser_id);
    // jsonb columns arrive parsed (node-postgres).
    const moved = ledger.moved as MovedRows;

    const rows = await lockCustomers(tem, [survivorId, loserId]);
    const s = rows.get(survivorId)!;
    const l = rows.get(loserId)!;
    if (s.status === CustomerStatus.MERGED) {
      throw conflict('the survivor was merged into another profile since; undo that merge first', {
        field: 'mergeId', reason: 'SURVIVOR_MERGED', mergedIntoId: s.merged_into_id ? toGlobalId('Customer', String(s.merged_into_id)) : null,
      });
    }
    if (s.status === CustomerStatus.ERASED || l.status === CustomerStatus.ERASED) throw conflict('one of the two customers was erased since; the merge cannot be undone', { field: 'mergeId', reason: 'ERASED' });
    if (l.status !== CustomerStatus.MERGED || l.merged_into_id !== survivorId) throw conflict('the merged profile changed since the merge; it cannot be undone', { field: 'mergeId', reason: 'LOSER_CHANGED' });

    const tables = new Map((await ownedTables(tem)).map((t) => [t.table, t]));
    await setReassign(tem, true);
    for (const [table, keys] of Object.entries(moved)) {
      if (table.includes('#')) continue;
      const t = tables.get(table);
      if (!t) throw conflict(`table ${table} no longer belongs to customers; the merge cannot be undone`, { field: 'mergeId', reason: 'ROWS_CHANGED' });
      const back: unknown[] = await tem.execute(
        `update ${table} set customer_id = ? where customer_id = ? and ${t.keyExpr} = any(?::text[]) returning 1`,
        [loserId, survivorId, textArray(keys)],
      );
      if (back.length !== keys.length) {
        throw conflict(`${keys.length - back.length} of the ${table} rows this merge moved no longer belong to the survivor; the merge cannot be undone`, {
          field: 'mergeId', reason: 'ROWS_CHANGED', table,
        });
      }
    }
    await setReassign(tem, false);
    if (moved[CLOSED_MEMBERSHIPS]?.length) {
      await tem.execute(`update segment_memberships set left_at = null where id = any(?::uuid[]) and customer_id = ?`, [uuidArray(moved[CLOSED_MEMBERSHIPS]), loserId]);
    }
    if (moved[REPOINTED]?.length) {
      await tem.execute(`update customers set merged_into_id = ? where id = any(?::uuid[]) and merged_into_id = ?`, [loserId, uuidArray(moved[REPOINTED]), survivorId]);
    }
    await writeCustomerRow(tem, loserId, ledger.loser_before as Row);
    await writeCustomerRow(tem, survivorId, restoreSurvivor(ledger.survivor_before as Row, ledger.survivor_after as Row, s));
    await tem.execute('update customer_merges set undone_at = now(), undone_by = ? where id = ?', [actor, mergeId]);
    await audit?.(tem, survivorId);
    await audit?.(tem, loserId);
    return tem.findOneOrFail(CustomerMerge, mergeId, { refresh: true });
  });
}

/** Merges where each customer was survivor or loser, newest first: one statement for many customers. */
export async function mergesOfCustomers(em: EntityManager, customerIds: readonly string[]): Promise<CustomerMerge[][]> {
  const rows: Row[] = await em.execute(
    `select * from customer_merges where survivor_id = any(?::uuid[]) or loser_id = any(?::uuid[]) order by created_at desc, id`,
    [uuidArray(customerIds), uuidArray(customerIds)],
  );
  const merges = rows.map((r) => ({ row: r, entity: em.map(CustomerMerge, r) }));
  return customerIds.map((id) => merges.filter((m) => m.row.survivor_id === id || m.row.loser_id === id).map((m) => m.entity));
}
