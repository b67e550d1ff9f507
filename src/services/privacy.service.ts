import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer } from '../entities';
import { CustomerStatus } from '../entities/enums';
import { DomainError, ErrorCode } from '../errors/domain-error';
import type { WriteAudit } from './customer.service';
import { defaultKeyring, macSql, type Keyring } from '../auth/pseudonyms';
import { textArray, uuidArray } from './pagination';
import { executeBound } from '../db/bound-query';

/**
 * The person, as export and erasure both take it (a recursive CTE `person(id)`; its one parameter is the
 * customer's id): the customer and every profile merged into it, transitively. Merges repoint earlier
 * losers to the new survivor, but an unmerge restores chains, so they are followed.
 */
const PERSON = `person(id) as (select ?::uuid union select c.id from customers c join person m on c.merged_into_id = m.id where c.status = 'merged')`;

/** One part of a profile's export: its key in the document, the tables it reads, and its value (SQL over `p.id`, the profile). */
export interface ExportSection {
  key: string;
  tables: string[];
  sql: string;
}

const rows = (alias: string, from: string, order: string, row = `to_jsonb(${alias}) - 'customer_id'`) =>
  `coalesce((select jsonb_agg(${row} order by ${order}) from ${from}), '[]')`;

/**
 * What the export holds of each profile of the person. The first seven are the document's original
 * sections; the rest were added when the export was found to leave out what erasure treats as the
 * person's (model outputs, stage history, segment stays, what triggers recorded about them, the
 * idempotency ledger). tests/authz/privacy.test.ts holds this list to the database: every table with a
 * customer column is here or in NOT_EXPORTED with its reason, and every table erasure scrubs or
 * deletes from is here.
 */
export const PROFILE_SECTIONS: ExportSection[] = [
  { key: 'profile', tables: ['customers'], sql: `(select to_jsonb(c) - 'merged_into_id' from customers c where c.id = p.id)` },
  { key: 'identities', tables: ['identities'], sql: rows('i', 'identities i where i.customer_id = p.id', 'i.created_at, i.id') },
  {
    key: 'orders', tables: ['orders', 'order_lines'],
    sql: rows('o', 'orders o where o.customer_id = p.id', 'o.placed_at, o.id', `(to_jsonb(o) - 'customer_id') || jsonb_build_object('lines',
           coalesce((select jsonb_agg(jsonb_build_object('sku', pr.sku, 'name', pr.name, 'quantity', l.quantity, 'unitPriceMinor', l.unit_price_minor,
                     'lineTotalMinor', l.line_total_minor, 'currency', l.currency) order by l.id)
                     from order_lines l join products pr on pr.id = l.product_id where l.order_id = o.id), '[]'))`),
  },
  { key: 'interactions', tables: ['interactions'], sql: rows('n', 'interactions n where n.customer_id = p.id', 'n.occurred_at, n.id') },
  { key: 'feedback', tables: ['feedback'], sql: rows('f', 'feedback f where f.customer_id = p.id', 'f.submitted_at, f.id') },
  { key: 'consents', tables: ['consent_records'], sql: rows('r', 'consent_records r where r.customer_id = p.id', 'r.seq') },
  { key: 'preferences', tables: ['customer_preferences'], sql: rows('pf', 'customer_preferences pf where pf.customer_id = p.id', 'pf.kind, pf.value') },
  // Model outputs: RFM scores, value tier, churn risk, predicted value (one row, or null before any analytics run).
  { key: 'metrics', tables: ['customer_metrics'], sql: `(select to_jsonb(m) - 'customer_id' from customer_metrics m where m.customer_id = p.id)` },
  {
    key: 'lifecycle', tables: ['customer_lifecycle_states', 'customer_lifecycle_transitions'],
    sql: `jsonb_build_object('stage', (select to_jsonb(s) - 'customer_id' from customer_lifecycle_states s where s.customer_id = p.id),
            'transitions', ${rows('t', 'customer_lifecycle_transitions t where t.customer_id = p.id', 't.at, t.id')})`,
  },
  {
    key: 'segmentMemberships', tables: ['segment_memberships'],
    sql: rows('sm', 'segment_memberships sm join segments sg on sg.id = sm.segment_id where sm.customer_id = p.id', 'sm.entered_at, sm.id',
      `(to_jsonb(sm) - 'customer_id') || jsonb_build_object('segmentName', sg.name)`),
  },
  {
    key: 'triggerFirings', tables: ['trigger_firings'],
    sql: rows('tf', 'trigger_firings tf left join triggers tr on tr.id = tf.trigger_id where tf.customer_id = p.id', 'tf.created_at, tf.id',
      `(to_jsonb(tf) - 'customer_id') || jsonb_build_object('triggerName', tr.name)`),
  },
  {
    key: 'offerGrants', tables: ['offer_grants'],
    sql: rows('og', 'offer_grants og left join offers ofr on ofr.id = og.offer_id where og.customer_id = p.id', 'og.granted_at, og.id',
      `(to_jsonb(og) - 'customer_id') || jsonb_build_object('offerCode', ofr.code, 'offerName', ofr.name)`),
  },
  { key: 'supportTasks', tables: ['support_tasks'], sql: rows('st', 'support_tasks st where st.customer_id = p.id', 'st.created_at, st.id') },
  { key: 'interactionRollups', tables: ['interaction_rollups'], sql: rows('ir', 'interaction_rollups ir where ir.customer_id = p.id', 'ir.month, ir.type, ir.channel, ir.id') },
  // The idempotency ledger's entries of events written to this profile: their keys are the sender's, and may name the person.
  { key: 'ingestEvents', tables: ['ingest_events'], sql: rows('ie', 'ingest_events ie where ie.customer_id = p.id', 'ie.created_at, ie.source, ie.idempotency_key') },
];

/**
 * Tables that name a customer and are not exported, and why. Anything else with a customer column
 * must be exported (tests/authz/privacy.test.ts).
 */
export const NOT_EXPORTED: Record<string, string> = {
  audit_log: 'accountability evidence of who read and wrote the data (staff, partners, the customer); kept as it is, like erasure does',
  outbox_events: 'change notifications to other systems, ids and kinds only, repeating what the sections hold; deleted once consumed and older than OUTBOX_RETENTION_HOURS',
};

/**
 * The merge ledger's entries about the person. Where both profiles are the person's (the merge
 * stands), the entry as it is; where the other profile is someone else's (an undone merge, or this
 * profile merged into another), only this side: its id, its snapshot, the dates. The other side's
 * snapshot, the merged result and the reason support gave may describe that other person. The staff
 * member who merged or unmerged (`actor`, `undone_by`) is not the person's data and is left out.
 */
const MERGES_SQL = `coalesce((select jsonb_agg(
    case when m.survivor_id in (select id from person) and m.loser_id in (select id from person) then to_jsonb(m) - array['actor', 'undone_by']
         when m.survivor_id in (select id from person) then to_jsonb(m) - array['actor', 'undone_by', 'reason', 'moved', 'survivor_after', 'loser_id', 'loser_before']
         else to_jsonb(m) - array['actor', 'undone_by', 'reason', 'moved', 'survivor_after', 'survivor_id', 'survivor_before'] end
    order by m.created_at, m.id)
  from customer_merges m where m.survivor_id in (select id from person) or m.loser_id in (select id from person)), '[]')`;

/** The document's sections besides each profile's (key → tables read). */
export const PERSON_SECTIONS: Record<string, string[]> = { exportedAt: [], mergedProfiles: ['customers'], merges: ['customer_merges'] };

/**
 * Right of access / portability: everything held about one person, as one JSON document, assembled by
 * PostgreSQL in one statement (consistent snapshot, no N+1).
 *
 * The person is the customer and every profile merged into it, transitively, as for erasure: the
 * requested profile's sections at the top level (the document's original shape), each merged profile's
 * in `mergedProfiles` (same sections, oldest profile first), and the merge ledger's entries in `merges`.
 */
export async function exportCustomerData(em: EntityManager, customerId: string): Promise<Record<string, unknown>> {
  const profileDoc = `jsonb_build_object(${PROFILE_SECTIONS.map((s) => `'${s.key}', ${s.sql}`).join(',\n')})`;
  const result: Array<{ doc: Record<string, unknown> | null }> = await em.execute(
    `with recursive ${PERSON},
     docs as (select p.id, ${profileDoc} as doc from person p)
     select (select doc from docs where id = ?) || jsonb_build_object(
       'exportedAt', now(),
       'mergedProfiles', coalesce((select jsonb_agg(d.doc order by c.created_at, c.id) from docs d join customers c on c.id = d.id where d.id <> ?), '[]'),
       'merges', ${MERGES_SQL}) as doc
     where exists (select 1 from customers where id = ? and status <> 'erased')`,
    [customerId, customerId, customerId, customerId],
  );
  if (!result.length || !result[0].doc) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: 'customerId' });
  return result[0].doc;
}

export interface ErasureSummary {
  customer: Customer;
  identifiersSuppressed: number;
  interactionsScrubbed: number;
  feedbackScrubbed: number;
  /** Profiles merged into this customer (transitively), erased with it. */
  mergedProfilesErased: number;
}

/**
 * Right to erasure, in one transaction: direct identifiers are removed, free text and event payloads
 * scrubbed, identifiers kept only as keyed digests (so imports cannot silently re-create the person),
 * while orders keep their amounts for accounting and consent records stay as evidence.
 *
 * The person is the customer and every profile merged into it, transitively: a merged profile still
 * holds what it held before the merge (name, e-mail, traits) and the merge ledger holds both profiles
 * as they were, with the reason support gave. All of it goes. So do the idempotency ledger's rows of
 * events written to them (their keys and content hashes are the sender's, and may carry an e-mail).
 * Touches no other customer.
 */
export async function eraseCustomer(em: EntityManager, customerId: string, audit?: WriteAudit, keyring: Keyring = defaultKeyring()): Promise<ErasureSummary> {
  return em.transactional(async (tem) => {
    const locked: Array<{ status: string }> = await tem.execute('select status from customers where id = ? for update', [customerId]);
    if (!locked.length || locked[0].status === CustomerStatus.ERASED) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: 'customerId' });
    const profiles: Array<{ id: string }> = await tem.execute(
      `with recursive ${PERSON}
       select c.id from customers c join person using (id) order by c.id for update of c`,
      [customerId],
    );
    const ids = uuidArray(profiles.map((p) => p.id));
    const identities: Array<{ kind: string; namespace: string; value: string }> = await tem.execute(
      'select kind, namespace, value from identities where customer_id = any(?::uuid[])', [ids],
    );
    const digests = identities.map((i) => keyring.identifierDigest(i).digest);
    if (digests.length) {
      await tem.execute(
        'insert into suppressed_identifiers (digest, key_id) select unnest(?::text[]), ? on conflict do nothing',
        [textArray(digests), keyring.newest.id],
      );
    }
    await tem.execute('delete from identities where customer_id = any(?::uuid[])', [ids]);
    // Stated tastes are about the person, and serve no accounting or evidence purpose.
    await tem.execute('delete from customer_preferences where customer_id = any(?::uuid[])', [ids]);
    // Event payloads go, and so do event ids chosen by the sender (which may name the person); the
    // rows stay, without them, for the counts and the campaign figures.
    const scrubbedInteractions: Array<{ n: string }> = await tem.execute(
      `with old as (select id, properties <> '{}'::jsonb as had from interactions
                    where customer_id = any(?::uuid[]) and (properties <> '{}'::jsonb or source_event_id not like 'erased:%')),
            u as (update interactions i set properties = '{}'::jsonb, source_event_id = case when i.source_event_id is null then null else 'erased:' || i.id end
                  from old where i.id = old.id returning old.had)
       select count(*) filter (where had) n from u`, [ids],
    );
    const scrubbedFeedback: Array<{ n: string }> = await tem.execute(
      `with u as (update feedback set text = null where customer_id = any(?::uuid[]) and text is not null returning 1) select count(*) n from u`, [ids],
    );
    await tem.execute(
      `update customers set status = 'erased', first_name = null, last_name = null, email = null, phone = null, birth_date = null,
         locale = null, address = null, traits = '{}'::jsonb, field_provenance = '{}'::jsonb, updated_at = now() where id = any(?::uuid[])`,
      [ids],
    );
    // Model outputs and the stage ledger profile the person: they go too (analytics computes active
    // customers only, so no later run brings them back). Run aggregates keep their counts.
    await tem.execute('delete from customer_lifecycle_transitions where customer_id = any(?::uuid[])', [ids]);
    await tem.execute('delete from customer_lifecycle_states where customer_id = any(?::uuid[])', [ids]);
    await tem.execute('delete from customer_metrics where customer_id = any(?::uuid[])', [ids]);
    // So does their segment history (which audiences they were in, and when): profiling too. The status
    // change above has already closed the open memberships through the segment triggers (the
    // `segment.exited` events carry ids only); the rows go now.
    await tem.execute('delete from segment_memberships where customer_id = any(?::uuid[])', [ids]);
    // What triggers recorded about them (firings, offer grants, support tasks): targeting of the person.
    await tem.execute(
      `with f as (delete from trigger_firings where customer_id = any(?::uuid[])), g as (delete from offer_grants where customer_id = any(?::uuid[]))
       delete from support_tasks where customer_id = any(?::uuid[])`, [ids, ids, ids],
    );
    // The merge ledger's snapshots and reasons are about these people: scrubbed (an erased customer's
    // merges can no longer be undone, which unmergeCustomers refuses anyway).
    await tem.execute(
      `update customer_merges set reason = 'erased', survivor_before = '{}'::jsonb, loser_before = '{}'::jsonb, survivor_after = '{}'::jsonb
       where survivor_id = any(?::uuid[]) or loser_id = any(?::uuid[])`,
      [ids, ids],
    );
    // A replay of such an event is then evaluated afresh: refused, its identifiers being suppressed.
    await tem.execute(`delete from ingest_events where customer_id = any(?::uuid[])`, [ids]);
    await audit?.(tem, customerId);
    const customer = await tem.findOneOrFail(Customer, { id: customerId }, { refresh: true });
    return {
      customer,
      identifiersSuppressed: digests.length,
      interactionsScrubbed: Number(scrubbedInteractions[0].n),
      feedbackScrubbed: Number(scrubbedFeedback[0].n),
      mergedProfilesErased: profiles.length - 1,
    };
  });
}

/**
 * Suppression digests written before PSEUDONYM_KEYS (plain SHA-256, `key_id` null) become the HMAC,
 * under the newest key, of that same SHA-256: what identifierDigest computes today, so they keep
 * matching, and the reversible digests are gone. One statement; run when the server starts.
 */
export async function upgradeLegacyDigests(em: EntityManager, keyring: Keyring): Promise<number> {
  const { opad, ipad } = keyring.sqlPads(keyring.newest);
  // The pads are the key: bound by the driver, never written into the statement's text (executeBound).
  const rows = await executeBound<{ n: string }>(em,
    `with u as (update suppressed_identifiers set digest = ${macSql('?', '?', "convert_to(digest, 'UTF8')")}, key_id = ? where key_id is null returning 1)
     select count(*) n from u`,
    [opad, ipad, keyring.newest.id],
  );
  return Number(rows[0].n);
}
