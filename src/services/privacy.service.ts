import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer } from '../entities';
import { CustomerStatus } from '../entities/enums';
import { DomainError, ErrorCode } from '../errors/domain-error';
import type { WriteAudit } from './customer.service';
import { defaultKeyring, macSql, type Keyring } from '../auth/pseudonyms';
import { textArray, uuidArray } from './pagination';

/**
 * Right of access / portability: everything held about one customer, as one JSON document,
 * assembled by PostgreSQL in one statement (consistent snapshot, no N+1).
 */
export async function exportCustomerData(em: EntityManager, customerId: string): Promise<Record<string, unknown>> {
  const rows: Array<{ doc: Record<string, unknown> | null }> = await em.execute(
    `select jsonb_build_object(
       'exportedAt', now(),
       'profile', (select to_jsonb(c) - 'merged_into_id' from customers c where c.id = ?),
       'identities', coalesce((select jsonb_agg(to_jsonb(i) - 'customer_id' order by i.created_at) from identities i where i.customer_id = ?), '[]'),
       'orders', coalesce((select jsonb_agg((to_jsonb(o) - 'customer_id') || jsonb_build_object('lines',
                   coalesce((select jsonb_agg(jsonb_build_object('sku', p.sku, 'name', p.name, 'quantity', l.quantity, 'unitPriceMinor', l.unit_price_minor,
                             'lineTotalMinor', l.line_total_minor, 'currency', l.currency) order by l.id)
                             from order_lines l join products p on p.id = l.product_id where l.order_id = o.id), '[]')) order by o.placed_at)
                   from orders o where o.customer_id = ?), '[]'),
       'interactions', coalesce((select jsonb_agg(to_jsonb(n) - 'customer_id' order by n.occurred_at) from interactions n where n.customer_id = ?), '[]'),
       'feedback', coalesce((select jsonb_agg(to_jsonb(f) - 'customer_id' order by f.submitted_at) from feedback f where f.customer_id = ?), '[]'),
       'consents', coalesce((select jsonb_agg(to_jsonb(r) - 'customer_id' order by r.seq) from consent_records r where r.customer_id = ?), '[]'),
       'preferences', coalesce((select jsonb_agg(to_jsonb(p) - 'customer_id' order by p.kind, p.value) from customer_preferences p where p.customer_id = ?), '[]')
     ) as doc
     where exists (select 1 from customers where id = ? and status <> 'erased')`,
    Array(8).fill(customerId),
  );
  if (!rows.length || !rows[0].doc) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: 'customerId' });
  return rows[0].doc;
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
    // Merges repoint earlier losers to the new survivor, but an unmerge restores chains: follow them.
    const profiles: Array<{ id: string }> = await tem.execute(
      `with recursive m(id) as (select ?::uuid union select c.id from customers c join m on c.merged_into_id = m.id where c.status = 'merged')
       select c.id from customers c join m using (id) order by c.id for update of c`,
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
  const rows: Array<{ n: string }> = await em.execute(
    `with u as (update suppressed_identifiers set digest = ${macSql('?', '?', "convert_to(digest, 'UTF8')")}, key_id = ? where key_id is null returning 1)
     select count(*) n from u`,
    [opad, ipad, keyring.newest.id],
  );
  return Number(rows[0].n);
}
