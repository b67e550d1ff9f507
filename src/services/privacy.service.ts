import type { EntityManager } from '@mikro-orm/postgresql';
import { Customer } from '../entities';
import { CustomerStatus } from '../entities/enums';
import { DomainError, ErrorCode } from '../errors/domain-error';
import type { WriteAudit } from './customer.service';
import { identifierDigest } from '../ingestion/identify';

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
}

/**
 * Right to erasure, in one transaction: direct identifiers are removed, free text and event payloads
 * scrubbed, identifiers kept only as digests (so imports cannot silently re-create the person), while
 * orders keep their amounts for accounting and consent records stay as evidence. Touches no other customer.
 */
export async function eraseCustomer(em: EntityManager, customerId: string, audit?: WriteAudit): Promise<ErasureSummary> {
  return em.transactional(async (tem) => {
    const locked: Array<{ status: string }> = await tem.execute('select status from customers where id = ? for update', [customerId]);
    if (!locked.length || locked[0].status === CustomerStatus.ERASED) throw new DomainError(ErrorCode.NOT_FOUND, 'customer not found', { field: 'customerId' });
    const identities: Array<{ kind: string; namespace: string; value: string }> = await tem.execute(
      'select kind, namespace, value from identities where customer_id = ?', [customerId],
    );
    const digests = identities.map(identifierDigest);
    if (digests.length) {
      await tem.execute('insert into suppressed_identifiers (digest) select unnest(?::text[]) on conflict do nothing', [`{${digests.join(',')}}`]);
    }
    await tem.execute('delete from identities where customer_id = ?', [customerId]);
    // Stated tastes are about the person, and serve no accounting or evidence purpose.
    await tem.execute('delete from customer_preferences where customer_id = ?', [customerId]);
    const scrubbedInteractions: Array<{ n: string }> = await tem.execute(
      `with u as (update interactions set properties = '{}'::jsonb where customer_id = ? and properties <> '{}'::jsonb returning 1) select count(*) n from u`, [customerId],
    );
    const scrubbedFeedback: Array<{ n: string }> = await tem.execute(
      `with u as (update feedback set text = null where customer_id = ? and text is not null returning 1) select count(*) n from u`, [customerId],
    );
    await tem.execute(
      `update customers set status = 'erased', first_name = null, last_name = null, email = null, phone = null, birth_date = null,
         locale = null, address = null, traits = '{}'::jsonb, field_provenance = '{}'::jsonb, updated_at = now() where id = ?`,
      [customerId],
    );
    // The merge ledger's profile snapshots hold this person's data: scrubbed (an erased customer's
    // merges can no longer be undone, which unmergeCustomers refuses anyway).
    await tem.execute(
      `update customer_merges set survivor_before = '{}'::jsonb, loser_before = '{}'::jsonb, survivor_after = '{}'::jsonb where survivor_id = ? or loser_id = ?`,
      [customerId, customerId],
    );
    await audit?.(tem, customerId);
    const customer = await tem.findOneOrFail(Customer, { id: customerId }, { refresh: true });
    return {
      customer,
      identifiersSuppressed: digests.length,
      interactionsScrubbed: Number(scrubbedInteractions[0].n),
      feedbackScrubbed: Number(scrubbedFeedback[0].n),
    };
  });
}
