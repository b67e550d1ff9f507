import type { EntityManager } from '@mikro-orm/postgresql';
import { PersonalizationUnavailableReason, RecommendationSource } from '../entities/preference-enums';
import { CF_PARAMS } from '../analytics/recommendations';
import { personalizationGateSql, unavailableReason, weightedSignalsSql } from './preferences.service';
import { uuidArray } from './pagination';

/** Hard cap on `first` for recommendations: the similarity table keeps topK per product anyway. */
export const MAX_RECOMMENDATIONS = 50;
/** The fallback looks at the customer's top this-many inferred categories. */
export const FALLBACK_CATEGORIES = 3;

export interface RecommendationItem {
  productId: string;
  score: number;
  source: RecommendationSource;
  becauseProductId: string | null;
  becauseProductName: string | null;
  becauseCategory: string | null;
}

export interface RecommendationResult {
  customerId: string;
  unavailableReason: PersonalizationUnavailableReason | null;
  items: RecommendationItem[];
}

/**
 * Recommendations for many customers in ONE statement (the personalisation gate included).
 *
 * Co-purchase (item-to-item): candidates are the products similar to what the customer bought
 * (kept orders, their `maxProductsPerCustomer` most recent distinct products, as in the recompute),
 * scored by the sum of those similarities; the "because" product is the owned product with the
 * highest similarity to the candidate. Anything the customer ever ordered is excluded, even if
 * cancelled or returned: they have seen it and decided.
 *
 * Fallback, to fill the list when co-purchases give fewer than `first` (no purchases yet, or
 * purchases without similar products): the most popular products (distinct buyers) of the
 * customer's top inferred categories (the inferred-preference formula, so views alone suffice),
 * scored by category share × popularity relative to the category's best seller, ranked after every
 * co-purchase item. A customer without any purchase or view gets an empty list.
 */
export async function recommendFor(em: EntityManager, requests: ReadonlyArray<{ customerId: string; first: number }>, asOf = new Date()): Promise<RecommendationResult[]> {
  const want = new Map<string, number>();
  for (const r of requests) want.set(r.customerId, Math.max(want.get(r.customerId) ?? 0, r.first));
  const keys = [...want].map(([customer_id, n]) => ({ customer_id, n }));
  const rows: Array<{
    customer_id: string; status: string | null; granted: boolean | null; product_id: string | null; score: number | null; source: string | null;
    because_id: string | null; because_name: string | null; because_category: string | null;
  }> = await em.execute(
    `with keys as (select * from jsonb_to_recordset(?::jsonb) as k(customer_id uuid, n int)),
     gate as (${personalizationGateSql('keys')}),
     ok as (select g.customer_id, k.n from gate g join keys k on k.customer_id = g.customer_id where g.granted),
     ordered as (
       select l.customer_id, l.product_id, max(o.placed_at) filter (where o.status not in ('cancelled', 'returned')) as kept_at
       from ok join order_lines l on l.customer_id = ok.customer_id join orders o on o.id = l.order_id
       group by l.customer_id, l.product_id),
     sources as (
       select customer_id, product_id from (
         select customer_id, product_id, row_number() over (partition by customer_id order by kept_at desc, product_id) as rn
         from ordered where kept_at is not null) s
       where rn <= ${CF_PARAMS.maxProductsPerCustomer}),
     cf as (
       select s.customer_id, sim.similar_product_id as product_id, sum(sim.score) as score,
              (array_agg(sim.product_id order by sim.score desc, sim.product_id))[1] as because_id
       from sources s join product_similarities sim on sim.product_id = s.product_id
       where not exists (select 1 from ordered e where e.customer_id = s.customer_id and e.product_id = sim.similar_product_id)
       group by s.customer_id, sim.similar_product_id),
     cf_count as (select customer_id, count(*) as n from cf group by customer_id),
     short as (select ok.customer_id, ok.n from ok left join cf_count c on c.customer_id = ok.customer_id where coalesce(c.n, 0) < ok.n),
     signals as (${weightedSignalsSql('short')}),
     cats as (
       select customer_id, category, score / sum(score) over (partition by customer_id) as share
       from (select customer_id, category, sum(w) as score, row_number() over (partition by customer_id order by sum(w) desc, category) as rn
             from signals group by customer_id, category) c
       where rn <= ${FALLBACK_CATEGORIES}),
     fb as (
       select c.customer_id, pop.product_id, c.category, c.share * pop.buyers / first_value(pop.buyers) over (partition by c.customer_id, c.category order by pop.buyers desc) as score
       from cats c join short s on s.customer_id = c.customer_id
       cross join lateral (
         select pp.product_id, pp.buyers::float8 as buyers from product_popularity pp
         where pp.category = c.category
           and not exists (select 1 from ordered e where e.customer_id = c.customer_id and e.product_id = pp.product_id)
           and not exists (select 1 from cf where cf.customer_id = c.customer_id and cf.product_id = pp.product_id)
         order by pp.buyers desc, pp.product_id limit s.n) pop),
     items as (
       select customer_id, product_id, score, 'co_purchase' as source, because_id, null::text as because_category, 0 as tier from cf
       union all
       -- A product popular in two of the customer's categories appears once, under its own category.
       select fb.customer_id, fb.product_id, fb.score, 'popular_in_category', null, fb.category, 1 from fb),
     ranked as (select i.*, row_number() over (partition by customer_id order by tier, score desc, product_id) as rn from items i)
     select g.customer_id, g.status, g.granted, r.product_id, r.score::float8 as score, r.source, r.because_id, bp.name as because_name, r.because_category
     from gate g
     left join keys k on k.customer_id = g.customer_id
     left join ranked r on r.customer_id = g.customer_id and r.rn <= k.n
     left join products bp on bp.id = r.because_id
     order by g.customer_id, r.rn`,
    [JSON.stringify(keys), asOf, asOf, asOf, asOf],
  );
  const byCustomer = new Map<string, RecommendationResult>();
  for (const r of rows) {
    let result = byCustomer.get(r.customer_id);
    if (!result) byCustomer.set(r.customer_id, (result = { customerId: r.customer_id, unavailableReason: unavailableReason(r), items: [] }));
    if (!r.product_id || result.unavailableReason) continue;
    result.items.push({
      productId: r.product_id, score: Number(r.score), source: r.source as RecommendationSource,
      becauseProductId: r.because_id, becauseProductName: r.because_name, becauseCategory: r.because_category,
    });
  }
  return requests.map(({ customerId, first }) => {
    const result = byCustomer.get(customerId) ?? { customerId, unavailableReason: PersonalizationUnavailableReason.CUSTOMER_NOT_ACTIVE, items: [] };
    return { ...result, items: result.items.slice(0, first) };
  });
}

export function explain(item: RecommendationItem): string {
  if (item.source === RecommendationSource.CO_PURCHASE) return `Because you bought ${item.becauseProductName ?? 'a product'}`;
  return `Popular in ${item.becauseCategory}, a category you have shown interest in`;
}

export interface SimilarProductRow {
  productId: string;
  similarProductId: string;
  score: number;
  coBuyers: number;
}

/** The top similar products of many products, one statement (a LIMIT per product on the primary key). */
export async function alsoBought(em: EntityManager, requests: ReadonlyArray<{ productId: string; first: number }>): Promise<SimilarProductRow[][]> {
  const n = Math.max(0, ...requests.map((r) => r.first));
  const ids = [...new Set(requests.map((r) => r.productId))];
  const rows: Array<{ product_id: string; similar_product_id: string; score: number; co_buyers: number }> = n === 0 ? [] : await em.execute(
    `select w.product_id, s.similar_product_id, s.score, s.co_buyers
     from unnest(?::uuid[]) as w(product_id)
     cross join lateral (select * from product_similarities s where s.product_id = w.product_id order by s.score desc, s.similar_product_id limit ?) s
     order by w.product_id, s.score desc, s.similar_product_id`,
    [uuidArray(ids), n],
  );
  const byProduct = new Map<string, SimilarProductRow[]>();
  for (const r of rows) {
    if (!byProduct.has(r.product_id)) byProduct.set(r.product_id, []);
    byProduct.get(r.product_id)!.push({ productId: r.product_id, similarProductId: r.similar_product_id, score: Number(r.score), coBuyers: Number(r.co_buyers) });
  }
  return requests.map((r) => (byProduct.get(r.productId) ?? []).slice(0, r.first));
}
