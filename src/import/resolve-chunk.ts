import type { Client } from 'pg';
import { RejectCode } from './import-record';
import { STAGE_TABLE } from './staging';
import { orderContentSql, storedOrderContentSql } from '../ingestion/orders';
import { defaultKeyring, macSql, plainDigestSql, type Keyring } from '../auth/pseudonyms';

export interface RejectRow {
  line: number;
  kind: string;
  code: RejectCode;
  message: string;
  field: string | null;
}

export interface ChunkOutcome {
  rows: number;
  imported: number;
  duplicates: number;
  rejected: number;
  customersCreated: number;
  /**
   * Records whose identifiers name several customers: they need the merge policy, so the set-based
   * path hands them to the ingestion core (run-import.ts, after this chunk commits). Staging columns.
   */
  deferred: DeferredRow[];
}

/** A staged record as its columns read back (snake case, as in STAGE_DDL). */
export type DeferredRow = Record<string, unknown> & { line: number; line_numbers: number[] | null; kind: string; source: string; ids: Array<[string, string, string]> };

const S = STAGE_TABLE;
const REJECT_PAGE = 5000;

/** `row` is not already rejected in this chunk (rejects are decided in order; the first reason wins). */
const notRejected = (alias: string) => `not exists (select 1 from r_rej rr where rr.line = ${alias}.line)`;

/**
 * Set-based resolution of one staged chunk, in one transaction: identifiers → customers (existing,
 * merged → survivor, or created per connected group of rows that share identifiers), identities,
 * profile updates, orders + lines and interactions inserted with ON CONFLICT DO NOTHING on their
 * natural keys. A row whose key exists is a duplicate when its content is the same and
 * CONFLICTING_DUPLICATE when not. Rows refused here are handed to `onRejects` before the commit.
 */
export async function resolveChunk(c: Client, onRejects: (rows: RejectRow[]) => Promise<void>, keyring: Keyring = defaultKeyring()): Promise<ChunkOutcome> {
  // IMPORT_TIMING=1: each statement's time on stderr, to see where a chunk spends it.
  const timing = process.env.IMPORT_TIMING === '1';
  const q = async (sql: string, params: unknown[] = []) => {
    const t = performance.now();
    const r = await c.query(sql, params);
    if (timing) process.stderr.write(`${(performance.now() - t).toFixed(0).padStart(6)} ms  ${sql.replace(/\s+/g, ' ').slice(0, 90)}\n`);
    return r;
  };
  await q('begin');
  try {
    // The import's own session only: a crash loses at most the last chunk, which a re-run redoes.
    await q(`set local synchronous_commit = off`);
    await q(`set local work_mem = '64MB'`);
    await q(`analyze ${S}`);
    await q(`create temp table r_rej (line int not null, code text not null, message text not null, field text) on commit drop`);
    await q(`create temp table r_dup (line int not null) on commit drop`);
    await q(`create temp table r_defer (line int not null) on commit drop`);
    // Product checks first, so that a refused row creates no customer and no identity.
    const hasOrders = await precheckOrders(q);
    await q(`insert into r_rej select s.line, '${RejectCode.UNKNOWN_SKU}', 'no product has sku "' || s.sku || '"', 'product_sku'
             from ${S} s where s.kind = 'interaction' and s.sku is not null and not exists (select 1 from products p where p.sku = s.sku)`);

    // Every identifier of every row, with the customer that holds it now (a merged profile's survivor).
    await q(`create temp table r_ids on commit drop as
      select s.line, e->>0 as k, e->>1 as ns, e->>2 as v,
             case when c.status = 'merged' then c.merged_into_id else c.id end as cid, c.status
      from ${S} s cross join lateral jsonb_array_elements(s.ids) e
      left join identities i on i.kind = e->>0 and i.namespace = e->>1 and i.value = e->>2
      left join customers c on c.id = i.customer_id`);
    await q(`insert into r_rej select distinct on (line) line, '${RejectCode.SUPPRESSED_IDENTIFIER}', 'identifier ' || k || ' belongs to an erased customer', k
             from r_ids where status = 'erased' order by line`);
    const { rows: [{ any: anySuppressed }] } = await q(`select exists (select 1 from suppressed_identifiers) as any`);
    if (anySuppressed) {
      // Keyring.identifierDigests in SQL: the identifier's HMAC under each key (README "Configuration").
      const params: string[] = [];
      const macs = keyring.keys.map((k) => {
        const { opad, ipad } = keyring.sqlPads(k);
        params.push(opad, ipad);
        return macSql(`$${params.length - 1}`, `$${params.length}`, plainDigestSql('x.k', 'x.ns', 'x.v'));
      });
      await q(`insert into r_rej select distinct on (x.line) x.line, '${RejectCode.SUPPRESSED_IDENTIFIER}',
                 'identifier ' || x.k || ' belongs to an erased customer and may not be used to re-create them', x.k
               from r_ids x join suppressed_identifiers d on d.digest in (${macs.join(', ')})
               where x.cid is null and ${notRejected('x')} order by x.line`, params);
    }

    await q(`create temp table r_line on commit drop as
      select line, count(distinct cid)::int as n, (array_agg(cid) filter (where cid is not null))[1] as cid, bool_or(cid is null) as pending
      from r_ids x where ${notRejected('x')} group by line`);
    await q(`insert into r_defer select line from r_line where n > 1`);
    await q(`delete from r_line where n > 1`);

    // Rows with an identifier nobody holds yet: rows sharing such identifiers are one person. Connected
    // groups by label propagation (each round takes the smallest label two hops away; a few rounds).
    await q(`create temp table r_pend on commit drop as select line, line as label from r_line where pending`);
    await q(`create temp table r_pk on commit drop as
      select x.line, dense_rank() over (order by x.k, x.ns, x.v) as key from r_ids x join r_pend p using (line) where x.cid is null`);
    await q(`analyze r_pend`);
    await q(`analyze r_pk`);
    for (let round = 0; round < 1000; round++) {
      const r = await q(`with kl as (select k.key, min(p.label) as l from r_pk k join r_pend p using (line) group by k.key),
                              nl as (select k.line, min(kl.l) as l from r_pk k join kl using (key) group by k.line)
                         update r_pend p set label = nl.l from nl where nl.line = p.line and nl.l < p.label`);
      if (!r.rowCount) break;
    }
    await q(`create temp table r_comp on commit drop as
      select p.label, count(distinct l.cid)::int as n, (array_agg(l.cid) filter (where l.cid is not null))[1] as cid, false as created
      from r_pend p join r_line l using (line) group by p.label`);
    await q(`insert into r_defer select p.line from r_pend p join r_comp c using (label) where c.n > 1`);
    await q(`update r_comp set cid = gen_random_uuid(), created = true where n = 0`);
    const created = await q(`insert into customers (id) select cid from r_comp where created`);

    await q(`create temp table r_res on commit drop as
      select l.line, coalesce(c.cid, l.cid) as cid, coalesce(c.created, false) as created, l.pending
      from r_line l left join r_pend p using (line) left join r_comp c on c.label = p.label
      where coalesce(c.n, 0) <= 1`);
    await q(`analyze r_res`);

    await q(`insert into identities (customer_id, kind, namespace, value, source)
             select distinct on (x.k, x.ns, x.v) r.cid, x.k, x.ns, x.v, s.source
             from r_ids x join r_res r using (line) join ${S} s using (line)
             where x.cid is null order by x.k, x.ns, x.v, x.line
             on conflict do nothing`);

    // Profiles: per field, the value of the last row in the file that gives one (earlier rows and the
    // stored value otherwise); traits merge key by key. Only customers that really change are written.
    // Provenance as the API records it (identify.ts): per field given, its row's source and the time.
    const prov = (field: string, col: string) =>
      `'${field}', case when n.${col} is not null then jsonb_build_object('source', n.${col}_src, 'at', n.at) end`;
    const src = (col: string) => `(array_agg(s.source order by s.line desc) filter (where s.${col} is not null))[1] as ${col}_src`;
    await q(`with f as (
        select r.cid, to_char(now() at time zone 'utc', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at,
          ${['first_name', 'last_name', 'email', 'phone', 'locale', 'birth_date'].map(src).join(', ')},
          (array_agg(s.first_name order by s.line desc) filter (where s.first_name is not null))[1] as first_name,
          (array_agg(s.last_name order by s.line desc) filter (where s.last_name is not null))[1] as last_name,
          (array_agg(s.email order by s.line desc) filter (where s.email is not null))[1] as email,
          (array_agg(s.phone order by s.line desc) filter (where s.phone is not null))[1] as phone,
          (array_agg(s.locale order by s.line desc) filter (where s.locale is not null))[1] as locale,
          (array_agg(s.birth_date order by s.line desc) filter (where s.birth_date is not null))[1] as birth_date
        from ${S} s join r_res r using (line) where s.kind = 'customer' group by r.cid
      ), t as (
        select cid, jsonb_object_agg(key, value) as traits, jsonb_object_agg('traits.' || key, jsonb_build_object('source', source)) as trait_src from (
          select distinct on (r.cid, e.key) r.cid, e.key, e.value, s.source
          from ${S} s join r_res r using (line) cross join lateral jsonb_each(s.traits) e
          where s.kind = 'customer' and s.traits is not null order by r.cid, e.key, s.line desc) z group by cid
      ), n as (select f.*, coalesce(t.traits, '{}'::jsonb) as traits, t.trait_src from f left join t using (cid)),
      upd as (
        update customers c set first_name = coalesce(n.first_name, c.first_name), last_name = coalesce(n.last_name, c.last_name),
          email = coalesce(n.email, c.email), phone = coalesce(n.phone, c.phone), locale = coalesce(n.locale, c.locale),
          birth_date = coalesce(n.birth_date, c.birth_date), traits = c.traits || n.traits, updated_at = now(),
          field_provenance = c.field_provenance || jsonb_strip_nulls(jsonb_build_object(
            ${prov('firstName', 'first_name')}, ${prov('lastName', 'last_name')}, ${prov('email', 'email')},
            ${prov('phone', 'phone')}, ${prov('locale', 'locale')}, ${prov('birthDate', 'birth_date')}))
            || coalesce((select jsonb_object_agg(k, v || jsonb_build_object('at', n.at)) from jsonb_each(n.trait_src) x(k, v)), '{}'::jsonb)
        from n where c.id = n.cid and (
          c.first_name is distinct from coalesce(n.first_name, c.first_name) or c.last_name is distinct from coalesce(n.last_name, c.last_name)
          or c.email is distinct from coalesce(n.email, c.email) or c.phone is distinct from coalesce(n.phone, c.phone)
          or c.locale is distinct from coalesce(n.locale, c.locale) or c.birth_date is distinct from coalesce(n.birth_date, c.birth_date)
          or c.traits is distinct from c.traits || n.traits)
        returning c.id)
      insert into r_dup (line)
      select s.line from ${S} s join r_res r using (line)
      where s.kind = 'customer' and not r.created and not r.pending and r.cid not in (select id from upd)`);

    if (hasOrders) await resolveOrders(q);
    await resolveInteractions(q);

    const { rows: [counts] } = await q(`select
        (select coalesce(sum(coalesce(array_length(line_numbers, 1), 1)), 0) from ${S})::int as rows,
        (select coalesce(sum(coalesce(array_length(s.line_numbers, 1), 1)), 0) from r_dup d join ${S} s using (line))::int as duplicates,
        (select coalesce(sum(coalesce(array_length(s.line_numbers, 1), 1)), 0) from (select distinct line from r_rej) r join ${S} s using (line))::int as rejected`);

    // Every physical row of a refused record (a CSV order spans several) gets the record's reason.
    let after = 0;
    for (;;) {
      const { rows } = await q(`select ln as line, s.kind, r.code, r.message, r.field
          from (select distinct on (line) * from r_rej order by line) r join ${S} s using (line)
          cross join lateral unnest(coalesce(s.line_numbers, array[s.line])) ln
          where ln > $1 order by ln limit ${REJECT_PAGE}`, [after]);
      if (!rows.length) break;
      await onRejects(rows as RejectRow[]);
      after = rows[rows.length - 1].line;
    }
    const { rows: deferred } = await q(`select s.*, s.birth_date::text as birth_date from ${S} s join r_defer d using (line) order by s.line`);
    await q(`truncate ${S}`);
    await q('commit');
    return {
      rows: counts.rows,
      duplicates: counts.duplicates,
      rejected: counts.rejected,
      imported: counts.rows - counts.duplicates - counts.rejected - deferred.reduce((n, d) => n + (d.line_numbers?.length ?? 1), 0),
      customersCreated: created.rowCount ?? 0,
      deferred: deferred as DeferredRow[],
    };
  } catch (err) {
    await q('rollback').catch(() => {});
    throw err;
  }
}

type Q = (sql: string, params?: unknown[]) => Promise<{ rowCount: number | null; rows: any[] }>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Orders with their lines priced from the catalogue; refuses unknown skus, missing prices, oversized discounts. */
async function precheckOrders(q: Q): Promise<boolean> {
  const { rows: [{ n }] } = await q(`select count(*)::int as n from ${S} where kind = 'order'`);
  if (!n) return false;
  await q(`create temp table r_ord on commit drop as
    select s.line, s.source, s.external_id, s.at, s.channel, s.status, s.currency, s.discount_minor, s.lines, gen_random_uuid() as id
    from ${S} s where s.kind = 'order'`);
  await q(`create temp table r_ol on commit drop as
    select o.id as order_id, o.line, e.pos::int as position, e.j->>'sku' as sku, (e.j->>'quantity')::int as quantity,
           coalesce((e.j->>'unit_price_minor')::int, case when p.currency = o.currency then p.price_minor end) as unit, p.id as product_id, p.currency as product_currency
    from r_ord o cross join lateral jsonb_array_elements(o.lines) with ordinality e(j, pos)
    left join products p on p.sku = e.j->>'sku'`);
  await q(`insert into r_rej select distinct on (l.line) l.line, '${RejectCode.UNKNOWN_SKU}', 'order line ' || l.position || ': no product has sku "' || l.sku || '"', 'lines[' || (l.position - 1) || '].sku'
           from r_ol l where l.product_id is null order by l.line, l.position`);
  await q(`insert into r_rej select distinct on (l.line) l.line, '${RejectCode.PRICE_REQUIRED}',
             'order line ' || l.position || ': unit_price_minor is required, the product is priced in ' || l.product_currency, 'lines[' || (l.position - 1) || '].unit_price_minor'
           from r_ol l where l.product_id is not null and l.unit is null and ${notRejected('l')} order by l.line, l.position`);
  await q(`create temp table r_ot on commit drop as select order_id, sum(unit::bigint * quantity) as subtotal from r_ol group by order_id`);
  await q(`insert into r_rej select o.line, '${RejectCode.INVALID_VALUE}', 'discount_minor exceeds the order subtotal', 'discount_minor'
           from r_ord o join r_ot t on t.order_id = o.id where o.discount_minor > t.subtotal and ${notRejected('o')}`);
  return true;
}

async function resolveOrders(q: Q): Promise<void> {
  await q(`create temp table r_ok on commit drop as
    select z.*, row_number() over w as rn, first_value(z.sig) over w as first_sig from (
      select o.line, o.id, r.cid, o.source, o.external_id, o.at, o.channel, o.status, o.currency, o.discount_minor, t.subtotal, e.id as existing_id,
             -- The same order: the ingestion core's one rule (orders.ts orderContentSql), customer beside it.
             md5(e.customer_id || ${storedOrderContentSql('e')}::text) as e_sig,
             md5(r.cid || ${orderContentSql({
               placedAt: 'o.at', channel: 'o.channel', status: 'o.status', currency: 'o.currency', discountMinor: 'o.discount_minor', offerId: 'null::uuid', campaignId: 'null::uuid',
               lines: `coalesce((select jsonb_agg(jsonb_build_array(l.product_id, l.quantity, l.unit) order by l.position) from r_ol l where l.order_id = o.id), '[]'::jsonb)`,
             })}::text) as sig
      from r_ord o join r_res r using (line) join r_ot t on t.order_id = o.id
      left join orders e on e.source = o.source and e.external_id = o.external_id
      where ${notRejected('o')}) z
    window w as (partition by z.source, z.external_id order by z.line)`);
  await q(`insert into r_rej select line, '${RejectCode.CONFLICTING_DUPLICATE}',
             'order ' || source || '/' || external_id || ' was already recorded with different content', 'external_id'
           from r_ok o where (existing_id is not null and sig <> e_sig) or (existing_id is null and rn > 1 and sig <> first_sig)`);
  await q(`insert into r_dup select line from r_ok o where (existing_id is not null and sig = e_sig) or (existing_id is null and rn > 1 and sig = first_sig)`);
  await q(`create temp table r_new_orders on commit drop as select id, cid, at from r_ok o where existing_id is null and rn = 1`);
  await q(`with ins as (
      insert into orders (id, customer_id, external_id, source, placed_at, channel, status, currency, subtotal_minor, discount_minor, total_minor)
      select o.id, o.cid, o.external_id, o.source, o.at, o.channel, o.status, o.currency, o.subtotal, o.discount_minor, o.subtotal - o.discount_minor
      from r_ok o join r_new_orders n using (id)
      on conflict (source, external_id) do nothing returning id)
    insert into order_lines (order_id, customer_id, product_id, quantity, unit_price_minor, line_total_minor, currency, position)
    select l.order_id, o.cid, l.product_id, l.quantity, l.unit, l.unit::bigint * l.quantity, o.currency, l.position
    from r_ol l join ins on ins.id = l.order_id join r_ok o on o.id = l.order_id`);
  await touchCustomers(q, 'select cid, at from r_new_orders');
}

async function resolveInteractions(q: Q): Promise<void> {
  const { rows: [{ n }] } = await q(`select count(*)::int as n from ${S} where kind = 'interaction'`);
  if (!n) return;
  await q(`create temp table r_int on commit drop as
    select z.*, row_number() over w as rn, first_value(z.sig) over w as first_sig from (
      select s.line, r.cid, s.source, s.event_id, s.at, s.channel, s.itype, s.sku, p.id as product_id, s.campaign, s.properties,
             e.id as existing_id,
             (e.customer_id = r.cid and e.occurred_at = s.at and e.channel = s.channel and e.type = s.itype and e.product_id is not distinct from p.id
              and e.campaign is not distinct from s.campaign and e.properties = s.properties) as same,
             md5(concat_ws('|', r.cid, s.at, s.channel, s.itype, p.id, s.campaign, s.properties::text)) as sig
      from ${S} s join r_res r using (line)
      left join products p on p.sku = s.sku
      left join interactions e on e.source = s.source and e.source_event_id = s.event_id
      where s.kind = 'interaction' and ${notRejected('s')}) z
    window w as (partition by z.source, z.event_id order by z.line)`);
  await q(`insert into r_rej select line, '${RejectCode.CONFLICTING_DUPLICATE}',
             'event ' || source || '/' || event_id || ' was already recorded with different content', 'source_event_id'
           from r_int where ((existing_id is not null and not same) or (existing_id is null and rn > 1 and sig <> first_sig))`);
  await q(`insert into r_dup select line from r_int where ((existing_id is not null and same) or (existing_id is null and rn > 1 and sig = first_sig))`);
  await q(`insert into interactions (customer_id, occurred_at, channel, type, product_id, campaign, properties, source, source_event_id)
           select cid, at, channel, itype, product_id, campaign, properties, source, event_id
           from r_int where existing_id is null and rn = 1
           /* a key stored before: the row is skipped by the trigger claiming interaction_event_keys */`);
  await touchCustomers(q, 'select cid, at from r_int where existing_id is null and rn = 1');
}

/** First/last seen follow recorded activity, as the API's writes keep them. */
async function touchCustomers(q: Q, activitySql: string): Promise<void> {
  await q(`update customers c set first_seen_at = least(c.first_seen_at, t.lo), last_seen_at = greatest(c.last_seen_at, t.hi)
           from (select cid, min(at) as lo, max(at) as hi from (${activitySql}) a group by cid) t
           where c.id = t.cid and (t.lo < c.first_seen_at or t.hi > c.last_seen_at)`);
}
