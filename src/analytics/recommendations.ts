import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Item-to-item collaborative filtering (Linden, Smith & York, "Amazon.com recommendations:
 * item-to-item collaborative filtering", 2003), over binary purchase vectors:
 *
 *   sim(a, b) = |buyers(a) ∩ buyers(b)| / sqrt(|buyers(a)| · |buyers(b)|)
 *
 * Inputs: order lines of orders not cancelled or returned, placed by active customers (merged and
 * erased profiles excluded). The pair explosion is bounded by considering, per customer, only the
 * `maxProductsPerCustomer` most recently bought distinct products: a customer contributes at most
 * m·(m−1) ordered pairs, so the self-join costs at most Σ min(n_c, m)² rows. The buyer counts in the
 * denominator come from the same capped set, so every score is the exact cosine of the capped
 * matrix and stays in [0, 1].
 */
export const CF_PARAMS = {
  /** Similar products kept per product. */
  topK: 50,
  /** A pair needs this many distinct co-buyers to count: one shared customer is noise, and would let a score reveal one person's basket. */
  minCoBuyers: 2,
  maxProductsPerCustomer: 100,
} as const;

export interface SimilarityOptions {
  asOf?: Date;
  topK?: number;
  minCoBuyers?: number;
  maxProductsPerCustomer?: number;
}

export interface SimilaritySummary {
  /** Products with at least one similar product kept. */
  products: number;
  /** Rows written to product_similarities. */
  pairs: number;
  /** Products with at least one buyer (rows of product_popularity). */
  popularProducts: number;
  durationMs: number;
}

/**
 * Recomputes product_similarities and product_popularity set-based, in one transaction: readers see
 * the previous tables until it commits (DELETE + INSERT, not TRUNCATE, which would block them).
 */
export async function recomputeProductSimilarities(rootEm: EntityManager, opts: SimilarityOptions = {}): Promise<SimilaritySummary> {
  const started = Date.now();
  const asOf = opts.asOf ?? new Date();
  const topK = opts.topK ?? CF_PARAMS.topK;
  const minCo = opts.minCoBuyers ?? CF_PARAMS.minCoBuyers;
  const cap = opts.maxProductsPerCustomer ?? CF_PARAMS.maxProductsPerCustomer;
  for (const [name, v] of Object.entries({ topK, minCo, cap })) if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer`);

  return rootEm.fork().transactional(async (em: EntityManager) => {
    await em.execute(`set local work_mem = '256MB'`);
    await em.execute(`set local statement_timeout = 0`);
    // The capped binary customer × product matrix, as (customer, product) pairs.
    await em.execute(
      `create temp table cf_bought on commit drop as
       select customer_id, product_id from (
         select l.customer_id, l.product_id,
                row_number() over (partition by l.customer_id order by max(o.placed_at) desc, l.product_id) as rn
         from order_lines l
         join orders o on o.id = l.order_id
         join customers c on c.id = l.customer_id
         where o.status not in ('cancelled', 'returned') and c.status = 'active' and o.placed_at <= ?
         group by l.customer_id, l.product_id) x
       where rn <= ?`,
      [asOf, cap],
    );
    await em.execute(`create index on cf_bought (customer_id, product_id)`);
    await em.execute(`analyze cf_bought`);

    await em.execute(`delete from product_similarities`);
    const [sims]: Array<{ pairs: string; products: string }> = await em.execute(
      `with n as (select product_id, count(*)::float8 as buyers from cf_bought group by product_id),
       pairs as (
         select a.product_id as p, b.product_id as q, count(*)::int as co
         from cf_bought a join cf_bought b on b.customer_id = a.customer_id and b.product_id <> a.product_id
         group by 1, 2 having count(*) >= ?),
       scored as (
         select x.p, x.q, x.co, x.co / sqrt(na.buyers * nb.buyers) as score
         from pairs x join n na on na.product_id = x.p join n nb on nb.product_id = x.q),
       ranked as (select s.*, row_number() over (partition by s.p order by s.score desc, s.co desc, s.q) as rn from scored s),
       ins as (
         insert into product_similarities (product_id, similar_product_id, score, co_buyers, computed_at)
         select p, q, score, co, ? from ranked where rn <= ?
         returning product_id)
       select count(*) as pairs, count(distinct product_id) as products from ins`,
      [minCo, asOf, topK],
    );

    await em.execute(`delete from product_popularity`);
    const [pop]: Array<{ n: string }> = await em.execute(
      `with ins as (
         insert into product_popularity (product_id, category, buyers, computed_at)
         select b.product_id, p.category, count(*), ? from cf_bought b join products p on p.id = b.product_id group by b.product_id, p.category
         returning 1)
       select count(*) as n from ins`,
      [asOf],
    );
    await em.execute(`drop table cf_bought`);
    return { products: Number(sims.products), pairs: Number(sims.pairs), popularProducts: Number(pop.n), durationMs: Date.now() - started };
  });
}
