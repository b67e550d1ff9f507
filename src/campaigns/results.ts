import type { EntityManager } from '@mikro-orm/postgresql';
import { uuidArray } from '../services/pagination';
import { controlSql, VARIANT_SLICES_SQL, variantSql } from './holdout';
import { type Interval, type Moments, mean, meanDifference, rateDifference, relativeDifference, verdict } from './stats';

/**
 * Campaign results, set-based: two statements for any number of campaigns (README "Campaign
 * insights" defines every figure; the rules in short):
 *
 * - Members. Control: customers the hash puts in the control group who reached eligibility (their
 *   HELD_OUT), entering at assignment. Exposed: every other customer with an exposure (offer shown or
 *   accepted, or a click on the campaign's message), entering at their first exposure.
 * - Conversion (for uplift): a kept order in the campaign currency placed within the attribution
 *   window after entry and not coded to another campaign, or any kept order coded to this campaign.
 *   Both groups are measured the same way, so the difference is what the campaign caused.
 * - Attribution (attributed revenue, per-offer converters, variants): an order coded at checkout
 *   with an offer or campaign belongs to it; otherwise to the customer's LAST touch (exposure or
 *   HELD_OUT, of any campaign) before it whose campaign window still covers it.
 * Revenue is the order subtotal (before discounts): the discounts a campaign gave are its cost, next
 * to the campaign's own cost, in ROI.
 */

const TOUCH_TYPES = `('held_out', 'offer_shown', 'offer_accepted', 'email_click')`;
const KEPT = `o.status not in ('cancelled', 'returned')`;

/**
 * Kept orders of the customers `who` (a subquery of customer ids) with the campaign and offer each is
 * attributed to: the code at checkout wins, else the last touch whose window covers the order.
 */
const attributedOrdersSql = (who: string): string => `
  touch as (
    select i.customer_id, i.occurred_at, k.id as campaign_id, i.properties ->> 'offerId' as offer_id, k.attribution_window_days as w
    from interactions i join campaigns k on k.code = i.campaign
    where i.customer_id in (${who}) and i.type in ${TOUCH_TYPES}),
  att as (
    select o.id, o.customer_id, o.currency, o.subtotal_minor, o.placed_at,
           coalesce(o.campaign_id, lt.campaign_id) as campaign_id,
           coalesce(o.offer_id::text, case when o.campaign_id is null then lt.offer_id end) as offer_id
    from orders o
    left join lateral (
      select t.campaign_id, t.offer_id from touch t
      where o.campaign_id is null and t.customer_id = o.customer_id
        and t.occurred_at <= o.placed_at and o.placed_at < t.occurred_at + make_interval(days => t.w)
      order by t.occurred_at desc limit 1) lt on true
    where o.customer_id in (${who}) and ${KEPT})`;

interface GroupRow {
  campaign_id: string;
  variant_id: string | null;
  all_variants: boolean;
  control: boolean;
  customers: number;
  converters: number;
  accepted: number;
  rev: number;
  rev_sq: number;
  attr: number;
  attr_sq: number;
  disc: number;
}

const GROUPS_SQL = `
  with c as (
    select k.id, k.code, k.control_percent, k.attribution_window_days as w, k.cost_minor,
           coalesce(k.currency, (select min(o.currency) from offers o where o.campaign_id = k.id)) as currency
    from campaigns k where k.id = any(?::uuid[])),
  vs as (${VARIANT_SLICES_SQL} and o.campaign_id in (select id from c)),
  e as (
    select c.id as campaign_id, i.customer_id,
           min(i.occurred_at) filter (where i.type = 'held_out') as held_at,
           min(i.occurred_at) filter (where i.type <> 'held_out') as exposed_at,
           coalesce(bool_or(i.type = 'offer_accepted'), false) as accepted
    from c join interactions i on i.campaign = c.code and i.type in ${TOUCH_TYPES}
    group by c.id, i.customer_id),
  m as (
    select e.campaign_id, e.customer_id, e.accepted, g.control,
           case when g.control then coalesce(e.held_at, e.exposed_at) else e.exposed_at end as entry_at,
           case when g.control then null else (select vs.id from vs where vs.campaign_id = e.campaign_id and ${variantSql('vs', 'e.customer_id')}) end as variant_id
    from e join c on c.id = e.campaign_id
    cross join lateral (select ${controlSql('c', 'e.customer_id')} as control) g),
  ${attributedOrdersSql('select customer_id from m')},
  mm as (
    select m.campaign_id, m.customer_id, m.control, m.variant_id, m.accepted,
           coalesce(wo.n, 0) > 0 as converted, coalesce(wo.rev, 0)::float8 as revenue, coalesce(wo.disc, 0)::float8 as discounts,
           coalesce(ao.rev, 0)::float8 as attributed
    from m join c on c.id = m.campaign_id
    left join lateral (
      select count(*) as n, sum(o.subtotal_minor) as rev,
             -- what the campaign gave off: the discount recorded on an order coded to it, else the coded offer's terms
             sum(case when o.discount_minor > 0 then o.discount_minor
                      when f.discount_minor is not null then least(f.discount_minor, o.subtotal_minor)
                      when f.discount_percent is not null then round(o.subtotal_minor * f.discount_percent / 100.0)
                      else 0 end) filter (where o.campaign_id = m.campaign_id) as disc
      from orders o left join offers f on f.id = o.offer_id
      where o.customer_id = m.customer_id and ${KEPT} and o.currency = c.currency
        and (o.campaign_id = m.campaign_id
             or (o.campaign_id is null and o.placed_at >= m.entry_at and o.placed_at < m.entry_at + make_interval(days => c.w)))) wo on true
    left join lateral (
      select sum(a.subtotal_minor) as rev from att a
      where a.customer_id = m.customer_id and a.campaign_id = m.campaign_id and a.currency = c.currency) ao on true
    where m.entry_at is not null)
  select campaign_id, variant_id, grouping(variant_id) = 1 as all_variants, control,
         count(*)::int as customers, count(*) filter (where converted)::int as converters, count(*) filter (where accepted)::int as accepted,
         sum(revenue)::float8 as rev, sum(revenue * revenue)::float8 as rev_sq,
         sum(attributed)::float8 as attr, sum(attributed * attributed)::float8 as attr_sq, sum(discounts)::float8 as disc
  from mm
  group by grouping sets ((campaign_id, control), (campaign_id, control, variant_id))`;

const OFFERS_SQL = `
  with c as (
    select k.id, coalesce(k.currency, (select min(o.currency) from offers o where o.campaign_id = k.id)) as currency
    from campaigns k where k.id = any(?::uuid[])),
  ${attributedOrdersSql(`select i.customer_id from interactions i join campaigns k on k.code = i.campaign where k.id = any(?::uuid[]) and i.type in ${TOUCH_TYPES}
                         union select o.customer_id from orders o where o.campaign_id = any(?::uuid[])`)}
  select f.id as offer_id, f.campaign_id, count(a.id)::int as orders, count(distinct a.customer_id)::int as converters, coalesce(sum(a.subtotal_minor), 0)::float8 as revenue
  from offers f join c on c.id = f.campaign_id
  left join att a on a.offer_id = f.id::text and a.campaign_id = f.campaign_id and a.currency = c.currency
  group by f.id, f.campaign_id`;

export interface GroupFigures {
  customers: number;
  converters: number;
  /** converters / customers */
  conversionRate: number | null;
  /** Window revenue (subtotals), minor units. */
  revenueMinor: number;
  revenuePerCustomer: number | null;
  /** Revenue attributed to the campaign by the attribution rule. */
  attributedRevenueMinor: number;
  attributedRevenuePerCustomer: number | null;
  /** Customers who accepted one of the campaign's offers (exposed only). */
  accepted: number;
  acceptanceRate: number | null;
}

export interface UpliftFigures {
  /** Exposed conversion rate − control conversion rate. */
  uplift: Interval | null;
  /** Exposed rate / control rate − 1. */
  relativeUplift: Interval | null;
  /** Exposed revenue per customer − control revenue per customer. */
  revenuePerCustomerUplift: Interval | null;
  /** Revenue-per-customer uplift × exposed customers. */
  incrementalRevenueMinor: Interval | null;
  /** Conversion uplift × exposed customers. */
  incrementalConversions: number | null;
  verdict: string;
}

export interface VariantResult extends UpliftFigures {
  offerId: string;
  weight: number;
  exposed: GroupFigures;
  /** Against the baseline variant (the first by offer code): acceptance rate difference. */
  acceptanceVsBaseline: Interval | null;
  /** Against the baseline: attributed revenue per exposed customer, difference. */
  attributedRevenueVsBaseline: Interval | null;
  /** Plain words: this variant against the baseline. */
  comparison: string;
}

export interface OfferResult {
  offerId: string;
  attributedOrders: number;
  converterCount: number;
  attributedRevenueMinor: number;
}

export interface CampaignResult extends UpliftFigures {
  campaignId: string;
  currency: string | null;
  controlPercent: number;
  attributionWindowDays: number;
  exposed: GroupFigures;
  control: GroupFigures;
  costMinor: number | null;
  /** Discounts given on orders coded to the campaign by exposed customers. */
  discountsMinor: number;
  /** (incremental revenue − cost − discounts) / (cost + discounts); null when nothing was spent. */
  roi: number | null;
  variants: VariantResult[];
  offers: OfferResult[];
}

const EMPTY: GroupRow = { campaign_id: '', variant_id: null, all_variants: true, control: false, customers: 0, converters: 0, accepted: 0, rev: 0, rev_sq: 0, attr: 0, attr_sq: 0, disc: 0 };

function figures(r: GroupRow): GroupFigures {
  const n = r.customers;
  return {
    customers: n, converters: r.converters, conversionRate: n ? r.converters / n : null,
    revenueMinor: r.rev, revenuePerCustomer: mean({ n, sum: r.rev, sumSq: r.rev_sq }),
    attributedRevenueMinor: r.attr, attributedRevenuePerCustomer: mean({ n, sum: r.attr, sumSq: r.attr_sq }),
    accepted: r.accepted, acceptanceRate: n ? r.accepted / n : null,
  };
}

const revenue = (r: GroupRow): Moments => ({ n: r.customers, sum: r.rev, sumSq: r.rev_sq });
const attributed = (r: GroupRow): Moments => ({ n: r.customers, sum: r.attr, sumSq: r.attr_sq });
const scale = (i: Interval | null, k: number): Interval | null => (i ? { estimate: i.estimate * k, low: i.low * k, high: i.high * k } : null);

/** Exposed against control: the uplift figures of a campaign or of one of its variants. */
export function upliftFigures(exposed: GroupRow, control: GroupRow, label = 'campaign'): UpliftFigures {
  const uplift = rateDifference(exposed.converters, exposed.customers, control.converters, control.customers);
  const rpc = meanDifference(revenue(exposed), revenue(control));
  const pE = exposed.customers ? exposed.converters / exposed.customers : null;
  const pC = control.customers ? control.converters / control.customers : null;
  return {
    uplift,
    relativeUplift: relativeDifference(exposed.converters, exposed.customers, control.converters, control.customers),
    revenuePerCustomerUplift: rpc,
    incrementalRevenueMinor: scale(rpc, exposed.customers),
    incrementalConversions: uplift ? uplift.estimate * exposed.customers : null,
    verdict: control.customers === 0 ? 'no control group: uplift cannot be measured' : verdict(label, 'control', uplift, pE, pC, exposed.customers, control.customers),
  };
}

export async function campaignResults(
  em: EntityManager, campaigns: ReadonlyArray<{ id: string; controlPercent: number; attributionWindowDays: number; costMinor: number | null; currency: string | null }>,
  offers: ReadonlyArray<{ id: string; campaignId: string | null; code: string; variantWeight: number | null; currency: string }>,
): Promise<Map<string, CampaignResult>> {
  const ids = campaigns.map((c) => c.id);
  if (!ids.length) return new Map();
  const groups: GroupRow[] = await em.execute(GROUPS_SQL, [uuidArray(ids)]);
  const perOffer: Array<{ offer_id: string; campaign_id: string; orders: number; converters: number; revenue: number }> =
    await em.execute(OFFERS_SQL, [uuidArray(ids), ...Array(4).fill(uuidArray(ids))]);
  const out = new Map<string, CampaignResult>();
  for (const c of campaigns) {
    const mine = groups.filter((g) => g.campaign_id === c.id);
    const total = (control: boolean) => mine.find((g) => g.all_variants && g.control === control) ?? EMPTY;
    const exposed = total(false);
    const control = total(true);
    const overall = upliftFigures(exposed, control);
    const discounts = exposed.disc;
    const spent = (c.costMinor ?? 0) + discounts;
    const variantOffers = offers.filter((o) => o.campaignId === c.id && o.variantWeight != null).sort((a, b) => a.code.localeCompare(b.code));
    const rowOf = (offerId: string) => mine.find((g) => !g.all_variants && !g.control && g.variant_id === offerId) ?? EMPTY;
    const base = variantOffers[0];
    const variants = variantOffers.map((o): VariantResult => {
      const row = rowOf(o.id);
      const b = rowOf(base.id);
      const acc = rateDifference(row.accepted, row.customers, b.accepted, b.customers);
      const isBase = o.id === base.id;
      return {
        offerId: o.id, weight: o.variantWeight!, exposed: figures(row), ...upliftFigures(row, control, o.code),
        acceptanceVsBaseline: isBase ? null : acc,
        attributedRevenueVsBaseline: isBase ? null : meanDifference(attributed(row), attributed(b)),
        comparison: isBase ? `${o.code} is the baseline`
          : verdict(o.code, base.code, acc, row.customers ? row.accepted / row.customers : null, b.customers ? b.accepted / b.customers : null, row.customers, b.customers),
      };
    });
    const incremental = overall.incrementalRevenueMinor?.estimate ?? null;
    out.set(c.id, {
      campaignId: c.id, currency: c.currency ?? offers.find((o) => o.campaignId === c.id)?.currency ?? null,
      controlPercent: c.controlPercent, attributionWindowDays: c.attributionWindowDays,
      exposed: figures(exposed), control: figures(control), ...overall,
      costMinor: c.costMinor, discountsMinor: discounts,
      roi: spent > 0 && incremental != null ? (incremental - spent) / spent : null,
      variants,
      offers: perOffer.filter((p) => p.campaign_id === c.id).map((p) => ({ offerId: p.offer_id, attributedOrders: p.orders, converterCount: p.converters, attributedRevenueMinor: p.revenue })),
    });
  }
  return out;
}

/** Customers with an order attributed to each offer, newest order first, at most `first` each (one statement). */
export async function offerConverters(em: EntityManager, offerIds: readonly string[], first: number): Promise<Map<string, string[]>> {
  if (!offerIds.length) return new Map();
  const rows: Array<{ offer_id: string; customer_id: string }> = await em.execute(
    `with ${attributedOrdersSql(`select i.customer_id from interactions i where i.type in ('offer_shown', 'offer_accepted') and (i.properties ->> 'offerId') = any(?::text[])
                                 union select o.customer_id from orders o where o.offer_id = any(?::uuid[])`)},
     ranked as (
       select a.offer_id, a.customer_id, row_number() over (partition by a.offer_id order by max(a.placed_at) desc, a.customer_id) as rn
       from att a join customers cu on cu.id = a.customer_id and cu.status = 'active'
       where a.offer_id = any(?::text[])
       group by a.offer_id, a.customer_id)
     select offer_id, customer_id from ranked where rn <= ? order by offer_id, rn`,
    [...Array(5).fill(uuidArray(offerIds)), first],
  );
  const out = new Map<string, string[]>();
  for (const r of rows) out.set(r.offer_id, [...(out.get(r.offer_id) ?? []), r.customer_id]);
  return out;
}

/**
 * The analytics run's step: per offer, the revenue of orders attributed to it and how many customers
 * placed them, for the next-best-offer ranking (offer-ranking.ts). One statement over all campaigns.
 */
export async function refreshOfferAttribution(em: EntityManager): Promise<number> {
  const rows: Array<{ id: string }> = await em.execute(
    `with ${attributedOrdersSql(`select i.customer_id from interactions i where i.campaign is not null and i.type in ${TOUCH_TYPES}
                                 union select o.customer_id from orders o where o.offer_id is not null`)},
     per as (
       select f.id, coalesce(sum(a.subtotal_minor), 0) as revenue, count(distinct a.customer_id)::int as converters
       from offers f left join att a on a.offer_id = f.id::text and a.currency = f.currency
       group by f.id)
     update offers f set attributed_revenue_minor = per.revenue, attributed_converters = per.converters
     from per where per.id = f.id and (f.attributed_revenue_minor <> per.revenue or f.attributed_converters <> per.converters)
     returning f.id`,
  );
  return rows.length;
}
